import type { ApolloServerPlugin } from "@apollo/server";
import { getArgumentValues, GraphQLError, Kind, TypeInfo, visit, visitWithTypeInfo } from "graphql";

/**
 * Characters refused in every string argument: C0 controls except tab, line feed and carriage
 * return (which CSV text and multi-line descriptions need), and DEL. NUL in particular: PostgreSQL
 * cannot store it in text (SQLite would), so without this one store accepts what the other refuses.
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

interface Found { field: string; code: number; index: number; line: number | undefined }

/** The first string under `value` holding a refused character, with its argument path (`input.predictors[1]`). */
function findControl(value: unknown, path: string): Found | undefined {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === "string") {
      const m = CONTROL.exec(v);
      if (!m) continue;
      const before = v.slice(0, m.index);
      const newlines = before.split("\n").length - 1;
      return { field: at, code: v.charCodeAt(m.index), index: m.index, line: newlines > 0 || v.includes("\n") ? newlines + 1 : undefined };
    }
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`]);
    else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i]![1], `${at}.${entries[i]![0]}`]);
    }
  }
  return undefined;
}

/** Whether any string under `value` holds a refused character (findControl without building paths). */
function hasControl(value: unknown): boolean {
  if (typeof value === "string") return CONTROL.test(value);
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) {
    for (const v of value) if (hasControl(v)) return true;
    return false;
  }
  for (const key in value) if (hasControl((value as Record<string, unknown>)[key])) return true;
  return false;
}

/**
 * Refuses control characters in ANY string argument of the operation (literals and variables,
 * every field at any depth) with BAD_USER_INPUT naming the argument path, before anything runs,
 * identically on SQLite and PostgreSQL. One check here instead of one per field.
 */
export function controlCharactersPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema, source }) {
          const variables = request.variables ?? {};
          // Fast path (most requests): no control character anywhere in the variables, and none in
          // the document, raw or escaped (\u…), so no argument can hold one. Only otherwise is the
          // operation walked to find which argument it is (~250 µs for a what-if; this check a few µs).
          if (!CONTROL.test(source) && !source.includes("\\u") && !hasControl(variables)) return;
          const typeInfo = new TypeInfo(schema);
          let found: Found | undefined;
          // The chosen operation and the fragments it may spread (other operations are not run).
          const defs = document.definitions.filter((d) => d === operation || d.kind === Kind.FRAGMENT_DEFINITION);
          visit({ ...document, definitions: defs }, visitWithTypeInfo(typeInfo, {
            Field(node) {
              if (found || !node.arguments?.length) return;
              const def = typeInfo.getFieldDef();
              if (!def) return;
              let args: Record<string, unknown>;
              try {
                args = getArgumentValues(def, node, variables);
              } catch {
                return; // a missing or mistyped variable: execution reports it with its own error
              }
              for (const [name, value] of Object.entries(args)) {
                found ??= findControl(value, name);
              }
            },
          }));
          if (!found) return;
          const { field, code, index, line } = found;
          const char = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
          throw new GraphQLError(
            `${field} contains the control character ${char}${line !== undefined ? ` on line ${line}` : ` at position ${index + 1}`}: control characters other than tab, line feed and carriage return are not accepted`,
            {
              extensions: {
                code: "BAD_USER_INPUT", field, argument: field.split(/[.[]/, 1)[0], reason: "CONTROL_CHARACTER",
                ...(line !== undefined ? { line } : {}), http: { status: 400 },
              },
            },
          );
        },
      };
    },
  };
}
