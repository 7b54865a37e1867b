import { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { ImportError } from "../errors.js";
import { CsvReader, type CsvRecord } from "./csv.js";

/** What csv-parse alone (the options CsvReader used before the fast path) gives: header + records with lines. */
function reference(text: string): CsvRecord[] {
  const items = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
  return items.map((i) => ({ fields: i.record, line: i.info.lines }));
}

async function viaReader(src: string | Readable): Promise<CsvRecord[]> {
  const r = new CsvReader(src, "x.csv");
  const out: CsvRecord[] = [];
  for await (const rec of r.records()) out.push(rec);
  return [{ fields: r.header, line: r.headerLine }, ...out];
}

const CASES: Record<string, string> = {
  plain: "a,b,c\n1,2,3\n4,5,6\n",
  "no final newline": "a,b,c\n1,2,3\n4,5,6",
  crlf: "a,b,c\r\n1,2,3\r\n\r\n4,5,6\r\n",
  bom: "\ufeffa,b\n1,2\n",
  "blank lines": "a,b\n\n1,2\n\n\n3,4\n\n",
  "spaces and tabs trimmed": "a , b\n 1 ,\t2\t\n x y ,z\n",
  unicode: "name,county\n平安兴宁,450102\n秀峰 区,450301\n",
  "quoted later": "a,b\n1,2\n\"3,5\",4\n5,\"x\ny\"\n6,7\n",
  "quoted header": "\"a\",b\n1,2\n",
  "lone CR line endings": "a,b\r1,2\r3,4\r",
  "short and long rows": "a,b,c\n1,2\n1,2,3,4\n",
  "whitespace-only line": "a,b\n  \n1,2\n",
};

describe("CsvReader fast path", () => {
  for (const [name, text] of Object.entries(CASES)) {
    it(`gives csv-parse's records and lines: ${name}`, async () => {
      const expected = reference(text);
      const whole = (await viaReader(text).catch((e: unknown) => e)) as CsvRecord[] | ImportError;
      if (whole instanceof ImportError) {
        // The only refusal in these cases: a row whose field count differs from the header.
        const bad = expected.slice(1).find((r) => r.fields.length !== expected[0]!.fields.length)!;
        expect(whole.line).toBe(bad.line);
        return;
      }
      expect(whole).toEqual(expected);
      // Same result whatever the chunking (split inside lines, CRLF pairs and multi-byte characters).
      const bytes = Buffer.from(text, "utf8");
      for (const size of [1, 2, 3, 7]) {
        const pieces: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
        expect(await viaReader(Readable.from(pieces))).toEqual(expected);
      }
    });
  }

  it("numbers lines of a malformed quote after the fast part", async () => {
    const err = await viaReader("a,b\n1,2\n3,4\n5,\"x\"y\n").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).line).toBe(4);
    expect((err as ImportError).message).toMatch(/^x\.csv:4: malformed CSV/);
  });
});
