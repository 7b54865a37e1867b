/**
 * The O(n p^2) row loops, generated per number of columns p.
 *
 * A generic loop that accumulates X' diag(w) X into a typed array does a read-modify-write of
 * memory for every one of the p(p+1)/2 products of every row. Generating the loop for a fixed p
 * (with `new Function`, once per (pass, p) and cached) keeps every accumulator in a local variable
 * and the row's values in registers; on 1e6 x 9 designs it is about four times faster, which is
 * what the 1e6-row NB2 speed target needs. The generated code only does arithmetic on its
 * arguments and on the helper functions it is given. Above MAX_UNROLLED columns plain loops over
 * the columns are generated instead.
 *
 * A row pass does, in one sweep over the rows, what used to take several passes and n-length
 * work buffers: compute eta_i = offset_i + x_i'beta and mu_i = exp(eta_i) (or read them), evaluate
 * the model's per-row quantities (a code snippet: log-likelihood term, score and Hessian weights),
 * and accumulate g += x_i r, H += wt x_i x_i' (upper triangle) and optionally g2 += x_i c.
 *
 * The fitters use two passes per Newton step: a log-likelihood pass at each trial point (`gram:
 * false`, computes eta/mu) and a derivative pass at the accepted point (`eta: "read"`). One pass
 * doing both was measured slower at 1e6 x 9 (about 72 ms against 26 + 33 ms: the eta sum, exp and
 * 45 Hessian accumulators in one loop body spill registers), and it would waste the Hessian work
 * on rejected trial points.
 */

/** g += X' r; h (upper triangle, row stride `stride`) += X' diag(wt) X; optionally g2 += X' r2. */
export type CrossProductKernel = (
  x: Float64Array,
  n: number,
  wt: Float64Array,
  r: Float64Array,
  g: Float64Array,
  h: Float64Array,
  stride: number,
  r2: Float64Array | null,
  g2: Float64Array | null,
) => void;

const MAX_UNROLLED = 24;
const crossCache = new Map<string, CrossProductKernel>();

function genericCross(p: number, withR2: boolean): CrossProductKernel {
  return (x, n, wt, r, g, h, stride, r2, g2) => {
    for (let i = 0, o = 0; i < n; i++, o += p) {
      const a = wt[i]!;
      const ri = r[i]!;
      const r2i = withR2 ? r2![i]! : 0;
      for (let j = 0; j < p; j++) {
        const xij = x[o + j]!;
        g[j] = g[j]! + xij * ri;
        if (withR2) g2![j] = g2![j]! + xij * r2i;
        const t = a * xij;
        const base = j * stride;
        for (let l = j; l < p; l++) h[base + l] = h[base + l]! + t * x[o + l]!;
      }
    }
  };
}

function generatedCross(p: number, withR2: boolean): CrossProductKernel {
  const lines: string[] = [];
  for (let j = 0; j < p; j++) {
    lines.push(`let _g${j} = 0;`);
    if (withR2) lines.push(`let _q${j} = 0;`);
    for (let l = j; l < p; l++) lines.push(`let _h${j}_${l} = 0;`);
  }
  lines.push(`for (let i = 0, o = 0; i < n; i++, o += ${p}) {`);
  lines.push(`const a = wt[i]; const ri = r[i];`);
  if (withR2) lines.push(`const si = r2[i];`);
  for (let j = 0; j < p; j++) lines.push(`const _x${j} = x[o + ${j}];`);
  for (let j = 0; j < p; j++) {
    lines.push(`_g${j} += _x${j} * ri;`);
    if (withR2) lines.push(`_q${j} += _x${j} * si;`);
    lines.push(`const _t${j} = a * _x${j};`);
    for (let l = j; l < p; l++) lines.push(`_h${j}_${l} += _t${j} * _x${l};`);
  }
  lines.push(`}`);
  for (let j = 0; j < p; j++) {
    lines.push(`g[${j}] += _g${j};`);
    if (withR2) lines.push(`g2[${j}] += _q${j};`);
    for (let l = j; l < p; l++) lines.push(`h[${j} * stride + ${l}] += _h${j}_${l};`);
  }
  return new Function("x", "n", "wt", "r", "g", "h", "stride", "r2", "g2", lines.join("\n")) as CrossProductKernel;
}

/** X' diag(wt) X and X' r from precomputed per-row arrays (used for the design's Gram matrix). */
export function crossProductKernel(p: number, withR2: boolean): CrossProductKernel {
  const key = `${p}:${withR2 ? 1 : 0}`;
  let k = crossCache.get(key);
  if (k === undefined) {
    k = p <= MAX_UNROLLED ? generatedCross(p, withR2) : genericCross(p, withR2);
    crossCache.set(key, k);
  }
  return k;
}

/** Writes the row-major design [1, (col_j - center_j) * invScale_j ...] (no 1 without an intercept). */
export type DesignWriter = (
  x: Float64Array,
  n: number,
  cols: readonly Float64Array[],
  center: Float64Array,
  invScale: Float64Array,
) => void;

const writerCache = new Map<string, DesignWriter>();

/**
 * The design writer for m predictor columns, unrolled like the passes (each column's array,
 * centre and scale in a local) so that building the 1e6 x 9 design is one tight sequential loop.
 */
export function designWriter(m: number, intercept: boolean): DesignWriter {
  const key = `${m}:${intercept ? 1 : 0}`;
  let writer = writerCache.get(key);
  if (writer === undefined) {
    const first = intercept ? 1 : 0;
    const P = m + first;
    let body: string;
    if (m <= MAX_UNROLLED) {
      const L: string[] = [];
      for (let j = 0; j < m; j++) L.push(`const _c${j} = cols[${j}], _m${j} = center[${j}], _s${j} = invScale[${j}];`);
      L.push(`for (let r = 0, o = 0; r < n; r++, o += ${P}) {`);
      if (intercept) L.push(`x[o] = 1;`);
      for (let j = 0; j < m; j++) L.push(`x[o + ${first + j}] = (_c${j}[r] - _m${j}) * _s${j};`);
      L.push(`}`);
      body = L.join("\n");
    } else {
      body = `for (let r = 0, o = 0; r < n; r++, o += ${P}) {
${intercept ? "x[o] = 1;" : ""}
for (let j = 0; j < ${m}; j++) x[o + ${first} + j] = (cols[j][r] - center[j]) * invScale[j];
}`;
    }
    writer = new Function("x", "n", "cols", "center", "invScale", body) as DesignWriter;
    writerCache.set(key, writer);
  }
  return writer;
}

/**
 * Where a row pass gets eta_i and mu_i:
 * - "compute": eta = offset + X beta, mu = exp(eta), both stored into the eta/mu buffers (for an
 *   intercept-only pass mu = exp(beta0) * expOffset: no exp per row);
 * - "read": from the eta/mu buffers (statistics at the point of the last computing pass);
 * - "none": the snippet does not use them (e.g. the IRLS start from mu = y + 0.1).
 */
export type EtaSource = "compute" | "read" | "none";

export interface RowPassSpec {
  /** Cache key, unique per snippet. */
  name: string;
  eta: EtaSource;
  /** Accumulate g += x r and h += wt x x' (false: a log-likelihood-only pass, x read only for eta). */
  gram: boolean;
  /** Accumulate g2 += x c (the snippet sets c). */
  cross: boolean;
  /** With `gram`: accumulate g only, not h (wt unused). */
  scoreOnly?: boolean;
  /**
   * Per-row JavaScript. In scope: i, yi, wi, oi (offset), ei and mi (eta and mu, unless eta is
   * "none"), parameters a0..a3, the helper functions by name. It sets `wt` (Hessian weight), `r`
   * (score weight) and, with `cross`, `c`; and may add to the accumulators s0, s1, s2.
   */
  code: string;
  /**
   * Functions the snippet calls. Their source (`Function.prototype.toString`) is compiled into the
   * pass, so that a worker thread can compile the very same pass from text (see row-threads.ts):
   * they must be self-contained named function declarations, using only their arguments, `Math`,
   * each other and `constants`.
   */
  helpers?: ((...args: number[]) => number)[];
  /** Module constants the helpers read, declared before them. */
  constants?: Record<string, number>;
}

/**
 * (x, start, end, y, w, offset, expOffset, beta, eta, mu, prm, g, h, stride, g2, acc): over rows
 * start..end-1, adds to g, h (upper triangle, row stride `stride`), g2 and acc[0..2] (the
 * snippet's s0..s2); prm holds a0..a3.
 */
export type RowPass = (
  x: Float64Array,
  start: number,
  end: number,
  y: Float64Array,
  w: Float64Array,
  offset: Float64Array | null,
  expOffset: Float64Array | null,
  beta: ArrayLike<number>,
  eta: Float64Array,
  mu: Float64Array,
  prm: ArrayLike<number>,
  g: Float64Array,
  h: Float64Array,
  stride: number,
  g2: Float64Array | null,
  acc: Float64Array,
) => void;

/** A generated pass with its cache key and the source it was compiled from (for worker threads). */
export interface RowPassCode {
  key: string;
  /** Body of a function without parameters that returns the pass: `new Function(source)()`. */
  source: string;
  pass: RowPass;
}

const passCache = new Map<string, RowPassCode>();

function rowPassSource(p: number, spec: RowPassSpec, interceptOnly: boolean, hasOffset: boolean): string {
  const unrolled = p <= MAX_UNROLLED || interceptOnly;
  const usesX = !interceptOnly;
  const L: string[] = [];
  L.push(`const a0 = +prm[0], a1 = +prm[1], a2 = +prm[2], a3 = +prm[3];`);
  L.push(`let s0 = 0, s1 = 0, s2 = 0;`);
  if (spec.eta === "compute" && usesX && unrolled) for (let j = 0; j < p; j++) L.push(`const _b${j} = +beta[${j}];`);
  if (spec.eta === "compute" && !usesX) L.push(`const _b0 = +beta[0]; const _eb0 = Math.exp(_b0);`);
  const gram = spec.gram;
  const hess = gram && spec.scoreOnly !== true;
  if (unrolled && gram) {
    for (let j = 0; j < p; j++) {
      L.push(`let _g${j} = 0;`);
      if (spec.cross) L.push(`let _q${j} = 0;`);
      if (hess) for (let l = j; l < p; l++) L.push(`let _h${j}_${l} = 0;`);
    }
  }
  L.push(`for (let i = start, o = start * ${usesX ? p : 1}; i < end; i++, o += ${usesX ? p : 1}) {`);
  L.push(`const yi = y[i], wi = w[i], oi = ${hasOffset ? "offset[i]" : "0"};`);
  // A pass that neither computes eta nor accumulates over columns does not read the design.
  if (unrolled && (gram || spec.eta === "compute")) {
    if (usesX) for (let j = 0; j < p; j++) L.push(`const _x${j} = x[o + ${j}];`);
    else L.push(`const _x0 = 1;`);
  }
  if (spec.eta === "compute" && !usesX) {
    L.push(`const ei = _b0 + oi; const mi = _eb0 * expOffset[i]; eta[i] = ei; mu[i] = mi;`);
  } else if (spec.eta === "compute") {
    if (unrolled) {
      const terms = Array.from({ length: p }, (_, j) => `_x${j} * _b${j}`).join(" + ");
      L.push(`const ei = oi + ${terms};`);
    } else {
      L.push(`let ei = oi; for (let j = 0; j < ${p}; j++) ei += x[o + j] * beta[j];`);
    }
    L.push(`const mi = Math.exp(ei); eta[i] = ei; mu[i] = mi;`);
  } else if (spec.eta === "read") {
    L.push(`const ei = eta[i], mi = mu[i];`);
  }
  L.push(`let wt = 0, r = 0, c = 0;`);
  L.push(spec.code);
  if (!gram) {
    // nothing to accumulate per column
  } else if (unrolled) {
    for (let j = 0; j < p; j++) {
      L.push(`_g${j} += _x${j} * r;`);
      if (spec.cross) L.push(`_q${j} += _x${j} * c;`);
      if (!hess) continue;
      L.push(`const _t${j} = wt * _x${j};`);
      for (let l = j; l < p; l++) L.push(`_h${j}_${l} += _t${j} * _x${l};`);
    }
  } else {
    L.push(`for (let j = 0; j < ${p}; j++) {`);
    L.push(`const xj = x[o + j]; g[j] += xj * r;`);
    if (spec.cross) L.push(`g2[j] += xj * c;`);
    if (hess) {
      L.push(`const t = wt * xj; const base = j * stride;`);
      L.push(`for (let l = j; l < ${p}; l++) h[base + l] += t * x[o + l];`);
    }
    L.push(`}`);
  }
  L.push(`}`);
  if (unrolled && gram) {
    for (let j = 0; j < p; j++) {
      L.push(`g[${j}] += _g${j};`);
      if (spec.cross) L.push(`g2[${j}] += _q${j};`);
      if (hess) for (let l = j; l < p; l++) L.push(`h[${j} * stride + ${l}] += _h${j}_${l};`);
    }
  }
  L.push(`acc[0] += s0; acc[1] += s1; acc[2] += s2;`);
  const prelude = [
    ...Object.entries(spec.constants ?? {}).map(([name, value]) => `const ${name} = ${String(value)};`),
    ...(spec.helpers ?? []).map((f) => f.toString()),
  ];
  const args = "x, start, end, y, w, offset, expOffset, beta, eta, mu, prm, g, h, stride, g2, acc";
  return `"use strict";\n${prelude.join("\n")}\nreturn function rowPass(${args}) {\n${L.join("\n")}\n};`;
}

/** Compiles a pass from its source (the same on the main thread and on worker threads). */
export function compileRowPass(source: string): RowPass {
  return new Function(source)() as RowPass;
}

/**
 * The generated pass for this snippet and number of columns (cached). `interceptOnly`: the design
 * is a column of ones that is not stored (x is not read; needs expOffset for "compute").
 * Without `hasOffset` the offset is 0 and not read.
 */
export function rowPass(p: number, spec: RowPassSpec, interceptOnly: boolean, hasOffset: boolean): RowPassCode {
  const key = `${spec.name}:${spec.eta}:${p}:${interceptOnly ? 1 : 0}:${hasOffset ? 1 : 0}`;
  let code = passCache.get(key);
  if (code === undefined) {
    const source = rowPassSource(p, spec, interceptOnly, hasOffset);
    code = { key, source, pass: compileRowPass(source) };
    passCache.set(key, code);
  }
  return code;
}
