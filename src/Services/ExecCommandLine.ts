import * as Context from "effect/Context"

/**
 * What the CLI (`cli` in src/Cli.ts) split off argv for `exec`: its own options as typed, and the command
 * untouched. `cli` provides it from argv, in the executable and in the in-process tests alike.
 */
export interface ExecCommandLineShape {
  readonly options: ReadonlyArray<string>
  readonly command: ReadonlyArray<string>
}

export class ExecCommandLine extends Context.Tag("mairu/ExecCommandLine")<ExecCommandLine, ExecCommandLineShape>() {}
