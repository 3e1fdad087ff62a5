import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { runCommand } from "../Exec/CommandProcess.js"
import { CommandNotRunnable, ExecRunner } from "../Services/ExecRunner.js"

export const ExecRunnerLive = Layer.succeed(ExecRunner, {
  run: (command, env) =>
    Effect.promise(() => runCommand(command, env)).pipe(
      Effect.flatMap((outcome) =>
        outcome._tag === "NotRunnable"
          ? Effect.fail(new CommandNotRunnable({ message: outcome.message, exitCode: outcome.exitCode }))
          : Effect.succeed(outcome)
      )
    )
})
