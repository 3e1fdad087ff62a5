import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { AgentError } from "../Schemas/AgentErrors.js"
import type { AgentCallError } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"

/** Ends the command with this exit code; what went wrong has already been told to the user. */
export class ExitCode extends Data.TaggedError("ExitCode")<{
  readonly code: number
  /** Die by this signal instead, as the command `exec` ran did. */
  readonly signal?: NodeJS.Signals
}> {}

/** One line that says what happened and what to do next, for every failure kind. */
export const describeFailure = (error: AgentError | AgentCallError): string => {
  switch (error._tag) {
    case "Unauthenticated":
      return `${error.message}. Log in with: mairu login ${error.serverId}`
    case "PermissionDenied":
      return `permission denied: ${error.message}. Logging in again will not help; ask the server's administrator.`
    case "NotFound":
    case "InvalidArgument":
    case "ResourceExhausted":
    case "Unknown":
    case "AgentUnavailable":
      return error.message
    case "AgentVersionMismatch":
      return `the running agent is version ${error.agentVersion} but this mairu is ${error.clientVersion}; ` +
        `stop it with: mairu kill-agent (the next command starts a new one)`
  }
}

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
