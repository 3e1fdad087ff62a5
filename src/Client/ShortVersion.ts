import { EXEC_VALUE_OPTIONS } from "../Exec/ExecArgv.js"

/** Options of the other commands that take their value as the next word. */
const VALUE_OPTIONS = new Set([
  ...EXEC_VALUE_OPTIONS,
  "--output",
  "-o",
  "--region",
  "-r",
  "--start-url",
  "-u",
  "--scope",
  "-s"
])

/**
 * `-V` as the original Mairu spells `--version`, on every command: the CLI parser
 * knows only the long name, so a `-V` that stands as an option (not an option's
 * value, not after `--`) becomes `--version`.
 */
export const expandShortVersion = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") return [...out, ...args.slice(i)]
    out.push(arg === "-V" ? "--version" : arg)
    if (VALUE_OPTIONS.has(arg) && i + 1 < args.length) out.push(args[++i]!)
  }
  return out
}
