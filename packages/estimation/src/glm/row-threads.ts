/**
 * Row passes of large fits on several threads, with sums that do not depend on the thread count.
 *
 * Above BLOCKED_MIN_ROWS rows a pass is cut into fixed blocks of ROW_BLOCK rows. Each block's
 * sums (score, information, cross terms, the snippet's s0..s2) go to their own slot of a shared
 * array, whoever computes the block; the calling thread then adds the slots up in block order.
 * The block layout and the order of additions are the same for 1, 2 or 16 threads, so results
 * are bit-for-bit identical (and identical to the single-threaded loop of common.ts, which adds
 * per-block sums in the same order for unrolled passes).
 *
 * Threads: the calling thread plus `threads - 1` persistent worker threads, created lazily on the
 * first large fit and `unref`'d (they never keep a process alive). The design, outcome, weights,
 * offset and the eta/mu buffers live in SharedArrayBuffers (see `rowArray`), so a pass moves no
 * data. Blocks are claimed dynamically from a shared counter: a thread that is descheduled (a busy
 * machine) simply claims fewer blocks, and a worker that is still starting up when the first
 * passes run joins later (the caller never waits for a worker that has not claimed a block).
 *
 * The fit API is synchronous, so the caller waits with Atomics.wait (allowed on Node's main thread
 * and in worker threads, so a fit inside a piscina worker works too). Pools such as piscina are
 * asynchronous and message-based (one task per message, answered through the event loop), which
 * a synchronous fit cannot await; hence this small fork/join on shared memory.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { compileRowPass, type RowPass, type RowPassCode } from "./kernels.js";

/** Rows per block: the unit of work and of partial sums. Fixed, so sums do not depend on threads. */
export const ROW_BLOCK = 4096;
/**
 * From this many rows a pass sums per block in a shared array and may use worker threads. Below
 * it the pass runs inline with no overhead (a pass over 1e5 x 9 takes ~3 ms; a round trip to a
 * worker costs tens of microseconds, more on a loaded machine).
 */
export const BLOCKED_MIN_ROWS = 16 * ROW_BLOCK;
/** Upper bound of the `threads` option and of GOVDIFFUSION_FIT_THREADS. */
export const MAX_FIT_THREADS = 64;
/** A worker that claimed a block and has not finished it after this long is taken for dead. */
const STALL_MS = 60_000;

/**
 * Threads for large fits: GOVDIFFUSION_FIT_THREADS when set, else os.availableParallelism().
 * Throws on a malformed value (the API and CLI check it at startup through this function).
 */
export function defaultFitThreads(env: Record<string, string | undefined> = process.env): number {
  const raw = env.GOVDIFFUSION_FIT_THREADS;
  if (raw === undefined || raw.trim() === "") return Math.max(1, Math.min(MAX_FIT_THREADS, availableParallelism()));
  const v = Number(raw.trim());
  if (!Number.isInteger(v) || v < 1 || v > MAX_FIT_THREADS) {
    throw new Error(`GOVDIFFUSION_FIT_THREADS must be an integer from 1 to ${MAX_FIT_THREADS}, got "${raw}"`);
  }
  return v;
}

/** A per-row buffer of n rows x `width` doubles: shared memory when the fit may use threads. */
export function rowArray(n: number, width = 1): Float64Array {
  const length = n * width;
  return n >= BLOCKED_MIN_ROWS ? new Float64Array(new SharedArrayBuffer(length * 8)) : new Float64Array(length);
}

/** The array itself when it is already in shared memory, else a shared copy. */
export function sharedCopy(a: Float64Array): Float64Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = new Float64Array(new SharedArrayBuffer(a.length * 8));
  out.set(a);
  return out;
}

/** Everything a thread needs to run its share of one blocked pass (sent to workers as is). */
interface BlockJob {
  /** Job number: a worker holding the message of an earlier job claims nothing. */
  gen: number;
  key: string;
  source: string;
  n: number;
  blockRows: number;
  nBlocks: number;
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
  offset: Float64Array | null;
  expOffset: Float64Array | null;
  beta: ArrayLike<number>;
  eta: Float64Array;
  mu: Float64Array;
  prm: ArrayLike<number>;
  gLen: number;
  hLen: number;
  stride: number;
  g2Len: number;
  /** nBlocks slots of gLen + hLen + g2Len + 3 doubles. */
  partials: Float64Array;
  /** [0]: (gen << 32) | next unclaimed block. */
  claim: BigInt64Array;
  /** [0]: blocks finished; [1]: 1 when a pass threw. */
  done: Int32Array;
}

/**
 * Claims blocks of the job until none is left and runs them, each into its own zeroed sums which
 * are then copied to the block's slot. Returns the number of blocks finished (a block whose pass
 * threw counts as finished, with done[1] set, so that nobody waits for it). Runs on the calling
 * thread and, compiled from its source, on the workers: it must stay self-contained.
 */
function runBlocks(job: BlockJob, pass: RowPass): number {
  const slot = job.gLen + job.hLen + job.g2Len + 3;
  const g = new Float64Array(job.gLen);
  const h = new Float64Array(job.hLen);
  const g2 = job.g2Len > 0 ? new Float64Array(job.g2Len) : null;
  const acc = new Float64Array(3);
  const gen = BigInt(job.gen);
  let count = 0;
  for (;;) {
    const v = Atomics.load(job.claim, 0);
    if (v >> 32n !== gen) break;
    const b = Number(v & 0xffffffffn);
    if (b >= job.nBlocks) break;
    if (Atomics.compareExchange(job.claim, 0, v, v + 1n) !== v) continue;
    g.fill(0);
    h.fill(0);
    if (g2 !== null) g2.fill(0);
    acc.fill(0);
    const start = b * job.blockRows;
    const end = Math.min(job.n, start + job.blockRows);
    count++;
    try {
      pass(job.x, start, end, job.y, job.w, job.offset, job.expOffset, job.beta, job.eta, job.mu, job.prm, g, h, job.stride, g2, acc);
    } catch {
      Atomics.store(job.done, 1, 1);
      break;
    }
    let o = b * slot;
    job.partials.set(g, o);
    o += job.gLen;
    job.partials.set(h, o);
    o += job.hLen;
    if (g2 !== null) job.partials.set(g2, o);
    o += job.g2Len;
    job.partials.set(acc, o);
  }
  return count;
}

/**
 * The worker: compiles each pass once (by key, from the same source as the caller), runs its share
 * of every job it is sent, and on "release" drops what it holds and collects garbage, so that the
 * shared buffers of a finished fit are freed (a SharedArrayBuffer lives until every thread that
 * saw it has collected its handle, and an idle worker would otherwise not collect for a long time).
 * An IIFE: an eval'd worker script runs in the global scope.
 */
const WORKER_SOURCE = `(() => {
"use strict";
const { parentPort } = require("node:worker_threads");
const compileRowPass = ${compileRowPass.toString()};
const runBlocks = ${runBlocks.toString()};
let collect = globalThis.gc;
if (typeof collect !== "function") {
  const v8 = require("node:v8");
  v8.setFlagsFromString("--expose-gc");
  collect = require("node:vm").runInNewContext("gc");
  v8.setFlagsFromString("--no-expose-gc");
}
const passes = new Map();
parentPort.on("message", (job) => {
  if (job === "release") {
    collect();
    return;
  }
  let count = 0;
  try {
    let pass = passes.get(job.key);
    if (pass === undefined) {
      pass = compileRowPass(job.source);
      passes.set(job.key, pass);
    }
    count = runBlocks(job, pass);
  } catch {
    // Not compiled here: this worker claims nothing and the calling thread does the blocks.
  }
  Atomics.add(job.done, 0, count);
  Atomics.notify(job.done, 0);
});
})();`;

/** The per-row inputs of a pass (shared memory when workers take part). */
export interface PassData {
  n: number;
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
  offset: Float64Array | null;
  expOffset: Float64Array | null;
  eta: Float64Array;
  mu: Float64Array;
}

function isShared(a: Float64Array | null): boolean {
  return a === null || a.length === 0 || a.buffer instanceof SharedArrayBuffer;
}

/** One thread's pool (module state: a fit inside a worker thread gets that thread's own pool). */
class RowThreads {
  private readonly workers: Worker[] = [];
  /** Set when a worker died or stalled: later passes run on the calling thread only. */
  private broken = false;
  private gen = 0;
  private partials = new Float64Array(new SharedArrayBuffer(8 * 4096));
  private readonly claim = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly done = new Int32Array(new SharedArrayBuffer(8));
  private sentSinceRelease = false;
  /** Passes sent to workers, and blocks the workers did (for tests and diagnostics). */
  jobs = 0;
  workerBlocks = 0;
  /** Tests set false so that the workers do every block (proving they compute the same sums). */
  callerTakesPart = true;

  /**
   * Runs the pass over d in blocks on up to `threads` threads; adds the block sums in block order
   * into g, h, g2 and acc.
   */
  run(
    d: PassData,
    code: RowPassCode,
    threads: number,
    beta: ArrayLike<number>,
    prm: ArrayLike<number>,
    g: Float64Array,
    h: Float64Array,
    stride: number,
    g2: Float64Array | null,
    acc: Float64Array,
  ): void {
    const nBlocks = Math.ceil(d.n / ROW_BLOCK);
    const g2Len = g2 === null ? 0 : g2.length;
    const slot = g.length + h.length + g2Len + 3;
    const shared = isShared(d.x) && isShared(d.y) && isShared(d.w) && isShared(d.offset) && isShared(d.expOffset) && isShared(d.eta) && isShared(d.mu);
    const helpers = threads > 1 && shared && !this.broken ? threads - 1 : 0;
    if (this.partials.length < nBlocks * slot) this.partials = new Float64Array(new SharedArrayBuffer(nBlocks * slot * 8 * 2));
    this.gen = (this.gen + 1) % 0x7fffffff;
    Atomics.store(this.claim, 0, BigInt(this.gen) << 32n);
    Atomics.store(this.done, 0, 0);
    Atomics.store(this.done, 1, 0);
    const job: BlockJob = {
      gen: this.gen,
      key: code.key,
      source: code.source,
      n: d.n,
      blockRows: ROW_BLOCK,
      nBlocks,
      x: d.x,
      y: d.y,
      w: d.w,
      offset: d.offset,
      expOffset: d.expOffset,
      beta: Float64Array.from(beta),
      eta: d.eta,
      mu: d.mu,
      prm: Float64Array.from(prm),
      gLen: g.length,
      hLen: h.length,
      stride,
      g2Len,
      partials: this.partials,
      claim: this.claim,
      done: this.done,
    };
    if (helpers > 0) {
      this.grow(helpers);
      for (let i = 0; i < helpers; i++) this.workers[i]!.postMessage(job);
      this.sentSinceRelease = true;
      this.jobs++;
    }
    const mine = helpers > 0 && !this.callerTakesPart ? 0 : runBlocks(job, code.pass);
    Atomics.add(this.done, 0, mine);
    this.waitForBlocks(nBlocks);
    this.workerBlocks += nBlocks - mine;
    if (Atomics.load(this.done, 1) !== 0) throw new Error(`row pass ${code.key} failed`);
    const parts = this.partials;
    for (let b = 0, o = 0; b < nBlocks; b++) {
      for (let j = 0; j < g.length; j++) g[j] = g[j]! + parts[o++]!;
      for (let j = 0; j < h.length; j++) h[j] = h[j]! + parts[o++]!;
      for (let j = 0; j < g2Len; j++) g2![j] = g2![j]! + parts[o++]!;
      for (let j = 0; j < 3; j++) acc[j] = acc[j]! + parts[o++]!;
    }
  }

  /** Lets the workers drop the buffers of the fit that just ended (see WORKER_SOURCE). */
  release(): void {
    if (!this.sentSinceRelease) return;
    this.sentSinceRelease = false;
    for (const worker of this.workers) worker.postMessage("release");
  }

  private waitForBlocks(nBlocks: number): void {
    const since = Date.now();
    for (;;) {
      const finished = Atomics.load(this.done, 0);
      if (finished >= nBlocks) return;
      Atomics.wait(this.done, 0, finished, 1000);
      if (Date.now() - since > STALL_MS) {
        // A worker claimed a block and never finished it (it died, e.g. out of memory). Its late
        // writes could land in later passes' buffers, so no worker is used again.
        this.broken = true;
        throw new Error(`a fit worker thread stalled for ${STALL_MS / 1000} s; later fits in this process run on one thread`);
      }
    }
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** Stops every worker (tests: a dead worker must cost nothing but its share of the work). */
  async terminateWorkers(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private grow(count: number): void {
    while (this.workers.length < count) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, name: "govdiffusion-fit-rows" });
      worker.unref();
      // A worker that dies has finished or never claimed its blocks, or the caller's wait times
      // out; either way no later pass should count on it.
      worker.on("error", () => (this.broken = true));
      worker.on("exit", () => (this.broken = true));
      this.workers.push(worker);
    }
  }
}

let pool: RowThreads | null = null;

/** The calling thread's pool of row-pass workers (created empty; workers start on first use). */
export function rowThreads(): RowThreads {
  pool ??= new RowThreads();
  return pool;
}

/** This thread's row-pass workers, passes sent to them and blocks they did (diagnostics, tests). */
export function fitThreadStats(): { workers: number; jobs: number; workerBlocks: number } {
  return { workers: pool?.workerCount ?? 0, jobs: pool?.jobs ?? 0, workerBlocks: pool?.workerBlocks ?? 0 };
}

/** After a fit: lets idle workers free the fit's shared buffers. */
export function releaseRowThreads(): void {
  pool?.release();
}
