import * as Effect from "effect/Effect"
import { runAgent } from "../Agent/Main.js"
import { agentLogging } from "../Layers/LoggingLive.js"
import { Terminal } from "../Services/Terminal.js"
import { ExitCode } from "./Failure.js"

/**
 * `mairu agent --foreground [--log-to-file]`: the agent in this process; a failure to
 * start is told to the user (exit 1). Free of the CLI framework, for the agent's own entry.
 */
export const runAgentAttached = (options: { readonly logToFile: boolean }) =>
  runAgent.pipe(
    Effect.catchTag("AgentStartError", (error) =>
      Effect.flatMap(Terminal, (terminal) => terminal.message(`cannot start the agent: ${error.message}`)).pipe(
        Effect.zipRight(Effect.fail(new ExitCode({ code: 1 })))
      )),
    Effect.provide(agentLogging(options.logToFile))
  )
