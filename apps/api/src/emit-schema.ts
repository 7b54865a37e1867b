import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { schemaSdl } from "./schema-sdl.js";

const target = fileURLToPath(new URL("../schema.graphql", import.meta.url));
writeFileSync(target, await schemaSdl());
process.stdout.write(`wrote ${target}\n`);
