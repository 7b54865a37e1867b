/**
 * GraphiQL in a real browser (Debian's chromium through playwright-core), with every request to
 * another host blocked: the page loads, GraphiQL's introspection query is answered (it must fit
 * the cost limit), and the headline what-if it opens with runs and shows its numbers.
 *
 * Without chromium (a developer machine) the test is skipped with a note; CI installs chromium and
 * sets GOVDIFFUSION_BROWSER_TESTS=required, so there it can only pass or fail.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededDatabase, startApi, type RunningApi, type TestDatabase } from "./api-harness.js";

const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const available = existsSync(executablePath);
if (!available) {
  if (process.env["GOVDIFFUSION_BROWSER_TESTS"] === "required") throw new Error(`browser tests are required but ${executablePath} does not exist`);
  console.warn(`graphiql.test.ts skipped: no chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

describe.skipIf(!available)("GraphiQL in chromium, offline", () => {
  let db: TestDatabase;
  let api: RunningApi;
  let browser: Browser;

  beforeAll(async () => {
    db = await seededDatabase("graphiql");
    api = await startApi(db.url, { GOVDIFFUSION_GRAPHIQL: "true" });
    browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await db?.drop();
  });

  it("loads with no other host, fetches the schema, and runs the headline what-if", async () => {
    const page = await browser.newPage();
    const origin = new URL(api.endpoint).origin;
    const elsewhere: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const failed: string[] = [];
    let introspected = false;
    page.on("response", (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()} ${(r.request().postData() ?? "").slice(0, 80)}`);
      if (r.status() === 200 && (r.request().postData() ?? "").includes("IntrospectionQuery")) introspected = true;
    });

    await page.goto(api.endpoint, { waitUntil: "networkidle" });
    expect(await page.title()).toBe("govdiffusion API");
    await page.getByRole("button", { name: "Execute query (Ctrl-Enter)" }).click();
    await page.locator(".graphiql-response", { hasText: "scenarioTotal" }).waitFor({ timeout: 20_000 });
    const shown = (await page.locator(".graphiql-response").textContent()) ?? "";
    // The what-if total of the seeded model, and county rows.
    expect(shown).toMatch(/"baselineTotal":\s*8321\.\d+/);
    expect(shown).toMatch(/"code":\s*"45\d{4}"/);

    expect(introspected).toBe(true);
    expect(failed).toEqual([]);
    expect(elsewhere).toEqual([]);
  });
});
