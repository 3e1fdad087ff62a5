import * as Effect from "effect/Effect"
import { ExitCode } from "../ProcessExit.js"
import type { AgentError } from "../Schemas/AgentErrors.js"
import type { AgentCallError } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"
import { describeFailure } from "../Terminal/Messages.js"

/** Tells the user about a typed failure on the terminal and exits 1. */
export const reportFailures = <A, R>(effect: Effect.Effect<A, AgentError | AgentCallError | ExitCode, R>) =>
  effect.pipe(
    Effect.catchAll((error) =>
      error._tag === "ExitCode"
        ? Effect.fail(error)
        : Effect.flatMap(Terminal, (terminal) => terminal.message(describeFailure(error))).pipe(
          Effect.zipRight(Effect.fail(new ExitCode({ code: 1 })))
        )
    )
  )
