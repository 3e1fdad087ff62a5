import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

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

/** A command `exec` was asked to run, and its environment. */
export interface RanCommand {
  readonly command: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
}

/** For tests: records each command in `ran` and lets `run` say how it ends (by default it exits 0 at once). */
export const layerTest = (
  ran: Array<RanCommand> = [],
  run: (command: RanCommand) => Effect.Effect<ExitStatus, CommandNotRunnable> = () =>
    Effect.succeed({ _tag: "Exited", code: 0 })
) =>
  Layer.succeed(ExecRunner, {
    run: (command, env) =>
      Effect.suspend(() => {
        ran.push({ command, env })
        return run({ command, env })
      })
  })
