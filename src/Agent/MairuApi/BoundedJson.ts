/**
 * JSON.parse for text from a server, with its nesting bounded first: deeply nested
 * input would otherwise exhaust the stack later (in a schema, a formatter or
 * JSON.stringify) and end as a defect rather than an error naming the server.
 */

/** No answer of a credential or token server nests deeper than this. */
export const MAX_JSON_DEPTH = 64

export type BoundedJson =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string }

/** The deepest nesting of arrays and objects in `text`, or -1 once it exceeds `limit`. */
const nestingDepth = (text: string, limit: number): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash escapes the next character
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return -1
      if (depth > deepest) deepest = depth
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return deepest
}

export const parseBoundedJson = (text: string, maxDepth = MAX_JSON_DEPTH): BoundedJson => {
  if (nestingDepth(text, maxDepth) === -1) return { ok: false, reason: `it nests deeper than ${maxDepth} levels` }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    // The parser's message may quote the text, which may hold a secret.
    return { ok: false, reason: "it is not valid JSON" }
  }
}
