/**
 * The one renderer for text from outside (servers, files, environment, argv) on its
 * way to the user: C0 and C1 control characters (except newline and tab), DEL and the
 * bidirectional controls become visible `\uXXXX` escapes, so that nothing a server or a
 * repository writes can move the cursor, erase a line, retitle the window or reorder
 * what is shown. The escape is the JSON one: JSON output passed through it stays valid
 * JSON with the same meaning (JSON.stringify already escapes C0 inside strings).
 */

/** Control characters that may never reach a terminal raw (newline and tab may). */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** The same set, newline and tab included: for fields that must be a single plain line. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const escape = (char: string) => "\\u" + char.charCodeAt(0).toString(16).padStart(4, "0")

/** `text` with every unsafe control character shown as an escape (`\u001b`, `\u202e`). */
export const visible = (text: string): string => text.replace(UNSAFE, escape)

/**
 * `text` on one line, newline and tab shown as escapes too: for what is quoted inside a
 * message (a path, a name), where a newline would start a line of its own, such as a
 * fake `:: mairu ::` line.
 */
export const visibleLine = (text: string): string => text.replace(CONTROL, escape)

/** The same set and the invisible format characters (Unicode Cf: U+200B, U+FEFF, U+00AD, …). */
const CONTROL_OR_INVISIBLE = new RegExp(`${CONTROL.source}|\\p{Cf}`, "u")

/**
 * True when `text` holds any control, bidirectional or invisible format character,
 * newline and tab included.
 */
export const hasControlCharacters = (text: string): boolean => CONTROL_OR_INVISIBLE.test(text)
