/**
 * True when JSON text nests arrays/objects deeper than `limit` levels (the outermost `{` is level
 * 1). An iterative scan of the text, so a hostile body cannot overflow the stack here, and it runs
 * before anything recursive (JSON.stringify of the variables, graphql's value coercion) sees it.
 * String contents are skipped with indexOf, so a large CSV inside a string costs little.
 */
export function jsonTooDeep(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Jump to the closing quote: the next " not escaped by an odd run of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i < 0) return false; // unterminated: JSON.parse reports it
        let slashes = 0;
        while (text.charCodeAt(i - 1 - slashes) === 0x5c /* \ */) slashes++;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** The same check for a GET request's `variables` and `extensions` parameters (JSON in the query string). */
export function searchJsonTooDeep(search: string, limit: number): boolean {
  if (search === "") return false;
  const params = new URLSearchParams(search);
  for (const name of ["variables", "extensions"]) {
    const v = params.get(name);
    if (v !== null && jsonTooDeep(v, limit)) return true;
  }
  return false;
}
