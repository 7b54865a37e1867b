/**
 * Model formulas in R's syntax, for the forms researchers write in count models of indicators:
 *
 *   y ~ x + log(x) + log1p(x) + sqrt(x) + poly(x, 2) + I(x^2) + x:z + x*z + factor(g) - 1
 *
 * `parseFormula` turns the text into an outcome and a list of terms; `expandFormula` evaluates the
 * terms on a Table into numeric design columns named as R names them (`log(x)`, `x:z`,
 * `factor(g)B`, `I(x^2)`), which `fitCountModel` then fits as plain predictors. Expanding again on
 * changed raw columns with the factor levels of the fit (`levels`) re-derives every transformed
 * and interacted column consistently, which is how a what-if on a raw indicator reaches
 * `log(x)`, its square and its interactions while fixed effects stay as they were.
 *
 * Coding follows R's defaults: `poly(x, 2)` is raw powers (R's `poly(x, 2, raw = TRUE)`, columns
 * named `x` and `I(x^2)`), `a*b` is `a + b + a:b`, factors use treatment contrasts with the first
 * level (sorted as R's `factor()` sorts: numerically when every level is a number, else by code
 * point) as reference. Interactions with a factor are not supported (refused with a message), since
 * R's contrast rules for them depend on which margins the formula holds.
 *
 * Written by hand because it is part of the product's maths (what a term is, how it is
 * re-derived); the grammar is small and a parser library would not know these semantics.
 */
import { formatRows } from "./columns.js";
import { EstimationError } from "./errors.js";
import type { Table } from "./types.js";

export type TermFunction = "identity" | "log" | "log1p" | "sqrt";

/** One numeric factor of a term: fn(variable)^power. */
export interface NumericPart {
  variable: string;
  fn: TermFunction;
  power: number;
}

export type FormulaTerm =
  | { kind: "numeric"; parts: NumericPart[] }
  | { kind: "factor"; variable: string };

export interface ParsedFormula {
  outcome: string;
  terms: FormulaTerm[];
  intercept: boolean;
  /** The formula in canonical form (as `formulaOf` writes it). */
  text: string;
}

/** A design column produced by a term. */
export interface ExpandedColumn {
  name: string;
  /** Raw variables the column is computed from. */
  variables: string[];
  /** Set for a dummy of factor(variable) = level. */
  factor?: { variable: string; level: string };
}

export interface ExpandedFormula {
  /** The design columns (NaN where an input is missing), by name. */
  columns: Record<string, Float64Array>;
  /** Column names in design order (no intercept). */
  predictors: string[];
  expanded: ExpandedColumn[];
  /** The levels of each factor, reference level first. */
  levels: Record<string, string[]>;
}

function formulaError(message: string, extra: { column?: string; rows?: number[] } = {}): EstimationError {
  return new EstimationError("INVALID_INPUT", message, { column: extra.column ?? "formula", ...(extra.rows ? { rows: extra.rows } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Parsing

type Token = { type: "ident" | "num" | "op"; value: string; pos: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[A-Za-z_.]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_.]/.test(text[j]!)) j++;
      tokens.push({ type: "ident", value: text.slice(i, j), pos: i });
      i = j;
      continue;
    }
    if (c === "`") {
      const j = text.indexOf("`", i + 1);
      if (j < 0) throw formulaError(`unclosed backquote at character ${i + 1} of the formula`);
      tokens.push({ type: "ident", value: text.slice(i + 1, j), pos: i });
      i = j + 1;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[0-9]/.test(text[j]!)) j++;
      tokens.push({ type: "num", value: text.slice(i, j), pos: i });
      i = j;
      continue;
    }
    if ("~+-*:(),^=".includes(c)) {
      tokens.push({ type: "op", value: c, pos: i });
      i++;
      continue;
    }
    throw formulaError(`unexpected character "${c}" at character ${i + 1} of the formula`);
  }
  return tokens;
}

const FUNCTIONS: Record<string, TermFunction> = { log: "log", log1p: "log1p", sqrt: "sqrt" };
const MAX_POWER = 3;

/** A parsed product of factors before expansion of `*`. */
type Atom = { kind: "numeric"; parts: NumericPart[] } | { kind: "factor"; variable: string };

/**
 * Parses `outcome ~ rhs`. The right-hand side is a sum of terms; a term is a product (`:` or `*`)
 * of atoms: a variable, log/log1p/sqrt(variable), I(variable^k), poly(variable, k), factor(variable).
 * `- 1` or `+ 0` drops the intercept.
 */
export function parseFormula(text: string): ParsedFormula {
  const tokens = tokenize(text);
  let k = 0;
  const peek = () => tokens[k];
  const where = (t: Token | undefined) => (t ? `at character ${t.pos + 1}` : "at the end");
  const expect = (value: string) => {
    const t = tokens[k];
    if (!t || t.value !== value) throw formulaError(`expected "${value}" ${where(t)} of the formula "${text}"`);
    k++;
  };
  const ident = (what: string): string => {
    const t = tokens[k];
    if (!t || t.type !== "ident") throw formulaError(`expected ${what} ${where(t)} of the formula "${text}"`);
    k++;
    return t.value;
  };
  const integer = (what: string): number => {
    const t = tokens[k];
    if (!t || t.type !== "num") throw formulaError(`expected ${what} ${where(t)} of the formula "${text}"`);
    k++;
    return Number(t.value);
  };
  const power = (p: number, at: Token | undefined): number => {
    if (!(p >= 1 && p <= MAX_POWER)) throw formulaError(`powers from 1 to ${MAX_POWER} are supported, got ${p} ${where(at)}`);
    return p;
  };

  /** One atom, possibly several terms (poly expands to its powers). */
  const atom = (): Atom[] => {
    const t = peek();
    const name = ident("a variable or a function");
    if (peek()?.value !== "(") return [{ kind: "numeric", parts: [{ variable: name, fn: "identity", power: 1 }] }];
    expect("(");
    let result: Atom[];
    if (name === "factor") {
      result = [{ kind: "factor", variable: ident("a variable inside factor()") }];
    } else if (name === "poly") {
      const v = ident("a variable inside poly()");
      expect(",");
      const at = peek();
      const degree = power(integer("the degree of poly()"), at);
      if (peek()?.value === ",") {
        // Only raw powers are supported: accept R's explicit raw = TRUE.
        expect(",");
        const at2 = peek();
        if (ident("raw = TRUE") !== "raw") throw formulaError(`poly() takes only raw = TRUE as a third argument ${where(at2)}`);
        expect("=");
        const at3 = peek();
        if (ident("TRUE") !== "TRUE") throw formulaError(`only raw powers are supported: poly(x, k, raw = TRUE) ${where(at3)}`);
      }
      result = [];
      for (let d = 1; d <= degree; d++) result.push({ kind: "numeric", parts: [{ variable: v, fn: "identity", power: d }] });
    } else if (name === "I") {
      const v = ident("a variable inside I()");
      expect("^");
      const at = peek();
      result = [{ kind: "numeric", parts: [{ variable: v, fn: "identity", power: power(integer("a power"), at) }] }];
    } else if (FUNCTIONS[name] !== undefined) {
      result = [{ kind: "numeric", parts: [{ variable: ident(`a variable inside ${name}()`), fn: FUNCTIONS[name]!, power: 1 }] }];
    } else {
      throw formulaError(
        `unknown function "${name}" ${where(t)} of the formula; supported: log, log1p, sqrt, poly(x, k), I(x^k), factor`,
      );
    }
    expect(")");
    return result;
  };

  const outcome = ident("the outcome variable");
  expect("~");
  const terms: FormulaTerm[] = [];
  let intercept = true;
  const add = (term: FormulaTerm) => {
    const key = termName(term);
    if (!terms.some((t) => termName(t) === key)) terms.push(term);
  };
  let sign = 1;
  for (;;) {
    const t = peek();
    if (t?.type === "num") {
      const v = integer("0 or 1");
      if (v === 1 && sign < 0) intercept = false;
      else if (v === 0 && sign > 0) intercept = false;
      else if (!(v === 1 && sign > 0)) throw formulaError(`only "+ 1", "- 1" and "+ 0" may stand alone ${where(t)} of the formula`);
    } else {
      if (sign < 0) throw formulaError(`only "- 1" may be subtracted ${where(t)} of the formula`);
      // A product: a:b:c, or a*b (all sub-products), left to right.
      let products: Atom[][] = atom().map((a) => [a]);
      while (peek()?.value === ":" || peek()?.value === "*") {
        const op = tokens[k++]!.value;
        const next = atom();
        if (next.length > 1) throw formulaError(`poly() cannot be part of an interaction ${where(tokens[k - 1])}; use I(x^2) instead`);
        products = op === ":" ? products.map((p) => [...p, next[0]!]) : [...products, ...products.map((p) => [...p, next[0]!]), [next[0]!]];
      }
      for (const product of products) add(combine(product));
    }
    const op = peek();
    if (op === undefined) break;
    if (op.value === "+") sign = 1;
    else if (op.value === "-") sign = -1;
    else throw formulaError(`unexpected "${op.value}" ${where(op)} of the formula "${text}"`);
    k++;
  }
  if (terms.length === 0 && !intercept) throw formulaError("the formula has no terms and no intercept");
  // As R (terms(keep.order = FALSE)): main effects first, then two-way interactions, and so on.
  const order = (t: FormulaTerm) => (t.kind === "factor" ? 1 : t.parts.length);
  terms.sort((a, b) => order(a) - order(b));
  const parsed = { outcome, terms, intercept };
  return { ...parsed, text: formulaOf(parsed) };
}

/** A product of atoms as one term; interactions with factors are refused. */
function combine(atoms: Atom[]): FormulaTerm {
  if (atoms.length === 1) return atoms[0]!;
  const parts: NumericPart[] = [];
  for (const a of atoms) {
    if (a.kind === "factor") {
      throw formulaError(`interactions with factor(${a.variable}) are not supported; interact numeric terms only`);
    }
    parts.push(...a.parts);
  }
  return { kind: "numeric", parts };
}

function partName(p: NumericPart): string {
  if (p.fn !== "identity") return `${p.fn}(${p.variable})`;
  return p.power === 1 ? p.variable : `I(${p.variable}^${p.power})`;
}

/** R's name of a term (`log(x):z`, `factor(g)`). */
export function termName(term: FormulaTerm): string {
  return term.kind === "factor" ? `factor(${term.variable})` : term.parts.map(partName).join(":");
}

/** The canonical text of a formula: `y ~ a + log(b) + a:z`. */
export function formulaOf(f: { outcome: string; terms: FormulaTerm[]; intercept: boolean }): string {
  const rhs = f.terms.map(termName);
  if (!f.intercept) rhs.push("- 1");
  return `${f.outcome} ~ ${rhs.length === 0 ? "1" : rhs.join(" + ").replace("+ - 1", "- 1")}`;
}

/** The formula of a plain predictor list (`y ~ a + b + c`). */
export function formulaFromPredictors(outcome: string, predictors: string[], intercept = true): ParsedFormula {
  const terms: FormulaTerm[] = predictors.map((v) => ({ kind: "numeric", parts: [{ variable: v, fn: "identity", power: 1 }] }));
  const parsed = { outcome, terms, intercept };
  return { ...parsed, text: formulaOf(parsed) };
}

/** The raw variables a formula reads (outcome excluded), in first-use order. */
export function formulaVariables(f: ParsedFormula): string[] {
  const out: string[] = [];
  for (const t of f.terms) {
    const vars = t.kind === "factor" ? [t.variable] : t.parts.map((p) => p.variable);
    for (const v of vars) if (!out.includes(v)) out.push(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expansion

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || v === "" || v === "NA" || (typeof v === "number" && Number.isNaN(v));
}

/** R's factor() level order: numeric when every level is a number, else by code point. */
export function sortLevels(values: Iterable<string>): string[] {
  const levels = [...new Set(values)];
  const numeric = levels.every((l) => l.trim() !== "" && Number.isFinite(Number(l)));
  return numeric ? levels.sort((a, b) => Number(a) - Number(b)) : levels.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function readColumn(data: Table, name: string): Float64Array {
  const col = data[name];
  if (col === undefined) throw formulaError(`unknown column "${name}"`, { column: name });
  if (col instanceof Float64Array) return col;
  const out = new Float64Array(col.length);
  const bad: number[] = [];
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    if (isMissing(v)) out[i] = NaN;
    else {
      const x = typeof v === "number" ? v : Number(v);
      if (Number.isFinite(x) && (typeof v === "number" || String(v).trim() !== "")) out[i] = x;
      else bad.push(i);
    }
  }
  if (bad.length > 0) {
    throw formulaError(`column "${name}" has non-numeric values at rows ${formatRows(bad)}; use factor(${name}) for a grouping column`, {
      column: name,
      rows: bad,
    });
  }
  return out;
}

/** fn(x)^power, refusing values outside the function's domain with the rows. */
function transform(x: Float64Array, part: NumericPart): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  const bad: number[] = [];
  const { fn, power } = part;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    let t: number;
    if (Number.isNaN(v)) t = NaN;
    else if (fn === "log") {
      if (!(v > 0)) bad.push(i);
      t = Math.log(v);
    } else if (fn === "log1p") {
      if (!(v > -1)) bad.push(i);
      t = Math.log1p(v);
    } else if (fn === "sqrt") {
      if (!(v >= 0)) bad.push(i);
      t = Math.sqrt(v);
    } else t = v;
    out[i] = power === 1 ? t : power === 2 ? t * t : t ** power;
  }
  if (bad.length > 0) {
    const need = fn === "log" ? "> 0" : fn === "log1p" ? "> -1" : ">= 0";
    throw formulaError(
      `${fn}(${part.variable}) cannot be computed at rows ${formatRows(bad)}: ${part.variable} must be ${need} there (got ${x[bad[0]!]})`,
      { column: part.variable, rows: bad },
    );
  }
  return out;
}

/**
 * Evaluates the terms of `formula` on `data`. `levels` fixes the factor levels (those of a fit),
 * so a counterfactual table expands into exactly the fitted columns; a value of a factor that is
 * not among them is refused. Missing inputs give NaN (the fit drops those rows).
 */
export function expandFormula(data: Table, formula: ParsedFormula, opts: { levels?: Record<string, string[]> } = {}): ExpandedFormula {
  const columns: Record<string, Float64Array> = {};
  const predictors: string[] = [];
  const expanded: ExpandedColumn[] = [];
  const levels: Record<string, string[]> = {};
  const raw = new Map<string, Float64Array>();
  const rawOf = (v: string) => {
    let c = raw.get(v);
    if (!c) raw.set(v, (c = readColumn(data, v)));
    return c;
  };
  const push = (col: ExpandedColumn, values: Float64Array) => {
    if (columns[col.name] !== undefined) throw formulaError(`the term "${col.name}" appears twice in the formula`);
    columns[col.name] = values;
    predictors.push(col.name);
    expanded.push(col);
  };
  for (const term of formula.terms) {
    if (term.kind === "factor") {
      const v = term.variable;
      const col = data[v];
      if (col === undefined) throw formulaError(`unknown column "${v}"`, { column: v });
      const labels: (string | null)[] = new Array(col.length);
      for (let i = 0; i < col.length; i++) labels[i] = isMissing(col[i]) ? null : String(col[i]);
      const lv = opts.levels?.[v] ?? sortLevels(labels.filter((l): l is string => l !== null));
      if (opts.levels?.[v]) {
        const known = new Set(lv);
        const unknown: number[] = [];
        labels.forEach((l, i) => {
          if (l !== null && !known.has(l)) unknown.push(i);
        });
        if (unknown.length > 0) {
          throw formulaError(`factor(${v}) has levels the model was not fitted on at rows ${formatRows(unknown)} (e.g. "${labels[unknown[0]!]}")`, {
            column: v,
            rows: unknown,
          });
        }
      }
      levels[v] = lv;
      const index = new Map(lv.map((l, j) => [l, j]));
      // Treatment coding: one dummy per level after the first (the reference); the first level
      // is dropped only with an intercept, as R does for the first factor of a no-intercept model.
      const first = formula.intercept || Object.keys(levels).length > 1 ? 1 : 0;
      for (let j = first; j < lv.length; j++) {
        const dummy = new Float64Array(col.length);
        for (let i = 0; i < col.length; i++) {
          const l = labels[i] ?? null;
          dummy[i] = l === null ? NaN : index.get(l) === j ? 1 : 0;
        }
        const level = lv[j]!;
        push({ name: `factor(${v})${level}`, variables: [v], factor: { variable: v, level } }, dummy);
      }
      continue;
    }
    let values: Float64Array | undefined;
    for (const part of term.parts) {
      const t = transform(rawOf(part.variable), part);
      if (values === undefined) values = t;
      else for (let i = 0; i < t.length; i++) values[i] = values[i]! * t[i]!;
    }
    push({ name: termName(term), variables: [...new Set(term.parts.map((p) => p.variable))] }, values!);
  }
  return { columns, predictors, expanded, levels };
}
