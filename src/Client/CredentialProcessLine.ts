/**
 * The value of a `credential_process` key: an argv written so that every AWS tool runs that
 * very argv. botocore splits the value with `shlex.split` (POSIX rules); the AWS SDK for
 * JavaScript hands it to `/bin/sh -c` (child_process.exec), and so does the Go SDK (`sh -c`).
 * Their INI readers add three constraints on the raw line:
 * - the SDK for JavaScript cuts it at a `#` or `;` that follows whitespace, quoted or not,
 *   and so does the Go SDK (a comment);
 * - the Go SDK strips a value's outer quotes when it both starts and ends with one;
 * - nothing may span lines.
 * So words are single-quoted from their first character that needs it (the line starts with
 * the program's absolute path: never with a quote), a `'` is written `"'"`, and inside quotes
 * a `#` or `;` after whitespace is set apart by an empty `''`. No backslash is ever written.
 */

/** Characters that mean nothing to sh nor to shlex, anywhere in a word. */
const PLAIN = /^[A-Za-z0-9_./:=@%+,-]$/u

const quoted = (text: string): string =>
  text.split("'")
    .map((part) => part === "" ? "" : `'${part.replace(/(\s)(?=[#;])/gu, "$1''")}'`)
    .join(`"'"`)

/** One word, quoted from its first character that needs it. */
export const shellWord = (word: string): string => {
  if (word === "") return "''"
  const firstSpecial = [...word].findIndex((char) => !PLAIN.test(char))
  if (firstSpecial === -1) return word
  const plain = [...word].slice(0, firstSpecial).join("")
  return plain + quoted(word.slice(plain.length))
}

/** The `credential_process` value that runs `argv` (whose first word is an absolute path). */
export const credentialProcessLine = (argv: ReadonlyArray<string>): string => argv.map(shellWord).join(" ")
