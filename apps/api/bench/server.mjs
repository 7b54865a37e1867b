// Child process of bench/api.mjs: the built API (dist) on the database in DATABASE_URL, port 0.
import { start } from "../dist/index.js";

const { server, url } = await start({ seed: true });
process.stdout.write(JSON.stringify({ url }) + "\n");
process.on("SIGTERM", () => server.stop().then(() => process.exit(0)));
