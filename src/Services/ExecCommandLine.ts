import * as Context from "effect/Context"

/** What the full CLI (src/FullCli.ts) split off argv for `exec`: its own options as typed, and the command untouched. */
export interface ExecCommandLineShape {
  readonly options: ReadonlyArray<string>
  readonly command: ReadonlyArray<string>
}

export class ExecCommandLine extends Context.Tag("mairu/ExecCommandLine")<ExecCommandLine, ExecCommandLineShape>() {}
