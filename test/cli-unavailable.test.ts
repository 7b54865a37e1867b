/**
 * The CLI's class for infrastructure failures: an unreachable or read-only database is one line
 * on stderr and exit code 3 ("retry later"), distinct from bad input (2) and bugs (1).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const bin = createRequire(import.meta.url).resolve("@govdiffusion/cli/bin/govdiffusion.js");
const tmp = mkdtempSync(join(tmpdir(), "govdiffusion-cli-unavailable-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, DATABASE_URL: url } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("govdiffusion with the database unavailable", () => {
  it("PostgreSQL unreachable: exit 3, one line saying so", async () => {
    const r = await run("postgresql://nobody:secret@127.0.0.1:1/none", ["db", "migrate"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^govdiffusion db: the database is unreachable: .*ECONNREFUSED.*\n$/);
    expect(r.stderr.split("\n")).toHaveLength(2);
  });

  it("SQLite opened read-only (?mode=ro): an import exits 3 saying the database is read-only", async () => {
    const url = `file:${join(tmp, "ro.db")}`;
    expect((await run(url, ["db", "migrate"])).code).toBe(0);
    const csv = join(tmp, "obs.csv");
    writeFileSync(csv, "county_code,year,indicator,value\n450102,2020,population,1\n");
    const r = await run(`${url}?mode=ro`, ["import", "observations", csv, "--dataset", "ro", "--create-indicators"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^govdiffusion import: the database is read-only: .*readonly database\n$/);
  });
});
