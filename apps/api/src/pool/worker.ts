// A thread of the work pool (piscina runs this file's default export once per task).
import { createDb } from "@govdiffusion/db";
import type { DataAccess } from "../data-access.js";
import { createDataAccess } from "../db-access.js";
import { serializeError, type SerializedError } from "./task-errors.js";
import { TASKS, type TaskName } from "./tasks.js";

export interface TaskMessage { name: TaskName; input: unknown; databaseUrl: string }
export type TaskReply = { ok: true; value: unknown } | { ok: false; error: SerializedError };

/** This thread's own connection (SQLite writes from here go through it), opened at the first task that needs the database. */
let data: { url: string; access: DataAccess } | undefined;
function dataFor(url: string): () => DataAccess {
  return () => {
    if (data?.url !== url) data = { url, access: createDataAccess(createDb({ url })) };
    return data.access;
  };
}

/** Errors come back as data (see task-errors.ts): piscina would hand the main thread a plain Error without the fields. */
export default async function runTask(msg: TaskMessage): Promise<TaskReply> {
  try {
    const task = TASKS[msg.name] as (input: unknown, data: () => DataAccess) => Promise<unknown>;
    return { ok: true, value: await task(msg.input, dataFor(msg.databaseUrl)) };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}
