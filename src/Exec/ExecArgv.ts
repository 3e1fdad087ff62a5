/**
 * Splits `mairu exec [OPTIONS] ROLE COMMAND [ARGS…]` before the CLI parser sees
 * it: @effect/cli matches `--help`, `--version` and friends anywhere in argv,
 * even after `--`, and everything after ROLE belongs to the command, untouched.
 */

/** exec options that take a value (`--name value` or `--name=value`). */
export const EXEC_VALUE_OPTIONS = new Set([
  "--server",
  "--mode",
  "-m",
  "--oauth-grant-type",
  "--confirm-trust",
  "--assume-role",
  "--assume-role-session-name",
  "--assume-role-duration-seconds",
  "--assume-role-external-id",
  // The CLI framework's own options that take a value.
  "--log-level",
  "--completions"
])

export interface SplitExec {
  /** What the CLI parser gets: `exec`, the options and ROLE. */
  readonly mairuArgs: ReadonlyArray<string>
  /** COMMAND and its arguments, exactly as given. */
  readonly command: ReadonlyArray<string>
}

/** `args` starts after `exec`. Returns undefined when there is no ROLE (let the parser explain). */
export const splitExecArgs = (args: ReadonlyArray<string>): SplitExec | undefined => {
  const options: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") {
      const role = args[i + 1]
      if (role === undefined) return undefined
      return { mairuArgs: [...options, role], command: args.slice(i + 2) }
    }
    if (!arg.startsWith("-") || arg === "-") {
      return { mairuArgs: [...options, arg], command: args.slice(i + 1) }
    }
    options.push(arg)
    if (EXEC_VALUE_OPTIONS.has(arg) && i + 1 < args.length) options.push(args[++i]!)
  }
  return undefined
}
