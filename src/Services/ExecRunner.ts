import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"

/** How the command ended. */
export type ExitStatus =
  | { readonly _tag: "Exited"; readonly code: number }
  | { readonly _tag: "Signaled"; readonly signal: NodeJS.Signals }

/** The command could not be started at all. */
export class CommandNotRunnable extends Data.TaggedError("CommandNotRunnable")<{
  readonly message: string
  readonly exitCode: number
}> {}

/**
 * Runs the user's command as transparently as a child can be: same terminal,
 * stdio, working directory and process group, so Ctrl-C, Ctrl-\ and job control
 * reach it from the terminal; SIGTERM, SIGHUP and the user signals sent to mairu
 * are passed on.
 */
export interface ExecRunnerShape {
  readonly run: (
    command: ReadonlyArray<string>,
    env: Readonly<Record<string, string>>
  ) => Effect.Effect<ExitStatus, CommandNotRunnable>
}

export class ExecRunner extends Context.Tag("mairu/ExecRunner")<ExecRunner, ExecRunnerShape>() {}
