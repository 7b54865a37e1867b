import type { Repositories } from "@govdiffusion/db";
import type { DataAccess } from "../data-access.js";
import type { RepositoryWrite } from "./tasks.js";
import type { WorkPool } from "./work-pool.js";

/**
 * better-sqlite3 waits for SQLite's write lock synchronously (up to the 30 s busy timeout): a write
 * on the event loop that meets an import's transaction in a pool thread would freeze the whole
 * server until that import commits. On SQLite the server's other writes (createScenario's insert,
 * deleteModel, deleteScenario) therefore run in the pool too, where waiting blocks only that thread.
 * They may queue behind heavy tasks; a write would wait for the lock anyway. PostgreSQL waits
 * asynchronously and needs none of this.
 */
export function sqliteWritesInPool(data: DataAccess, work: WorkPool): DataAccess {
  const write = <R>(repo: RepositoryWrite["repo"], method: RepositoryWrite["method"]) =>
    ((...args: unknown[]) => work.run("repositoryWrite", { repo, method, args }) as Promise<R>) as never;
  const { repos } = data;
  const pooled: Repositories = {
    ...repos,
    models: { ...repos.models, delete: write("models", "delete") },
    scenarios: { ...repos.scenarios, create: write("scenarios", "create"), delete: write("scenarios", "delete") },
  };
  return { ...data, repos: pooled };
}
