import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

/** What the full CLI (src/FullCli.ts) split off argv for `exec`: its own options as typed, and the command untouched. */
export interface ExecCommandLineShape {
  readonly options: ReadonlyArray<string>
  readonly command: ReadonlyArray<string>
}

export class ExecCommandLine extends Context.Tag("mairu/ExecCommandLine")<ExecCommandLine, ExecCommandLineShape>() {}

/** For tests: `exec` as if the command line had held these options and this command. */
export const layerTest = (command: ReadonlyArray<string>, options: ReadonlyArray<string> = []) =>
  Layer.succeed(ExecCommandLine, { options, command })

/** Quotes a word for a POSIX shell only when it needs it. */
export const shellQuote = (word: string) => /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
