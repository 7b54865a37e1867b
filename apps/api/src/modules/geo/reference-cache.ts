import type { County, Prefecture, Repositories } from "@govdiffusion/db";

/**
 * Prefectures and counties change only when `govdiffusion import counties` runs, so they are read
 * once and kept for `ttlMs` (a Prisma round trip for 111 rows costs milliseconds; the list is
 * read by every `counties`, `prefectures` and county-field request). Concurrent callers share one read.
 */
export class ReferenceCache {
  private entry: { at: number; value: Promise<{ prefectures: Prefecture[]; counties: County[]; byCode: Map<string, County> }> } | undefined;

  constructor(private readonly repos: Repositories, private readonly ttlMs = 60_000, private readonly now = () => Date.now()) {}

  private load() {
    if (!this.entry || this.now() - this.entry.at > this.ttlMs) {
      const value = Promise.all([this.repos.prefectures.list(), this.repos.counties.list()]).then(([prefectures, counties]) => ({
        prefectures, counties, byCode: new Map(counties.map((c) => [c.code, c])),
      }));
      const entry = { at: this.now(), value };
      this.entry = entry;
      value.catch(() => {
        if (this.entry === entry) this.entry = undefined; // do not keep a failed read
      });
    }
    return this.entry.value;
  }

  async prefectures(): Promise<Prefecture[]> {
    return (await this.load()).prefectures;
  }

  async counties(): Promise<County[]> {
    return (await this.load()).counties;
  }

  async county(code: string): Promise<County | null> {
    return (await this.load()).byCode.get(code) ?? null;
  }

  invalidate(): void {
    this.entry = undefined;
  }
}
