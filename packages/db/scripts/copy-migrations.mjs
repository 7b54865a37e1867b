// Copies prisma/<provider>/migrations into dist/migrations/<provider> so the built package can
// migrate a database even without the repository's prisma/ folder (see src/migrate.ts).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
for (const provider of ["sqlite", "postgres"]) {
  const from = path.resolve(pkg, "..", "..", "prisma", provider, "migrations");
  const to = path.join(pkg, "dist", "migrations", provider);
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}
