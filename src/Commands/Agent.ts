import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { runAgentAttached } from "../Agent/Foreground.js"
import { UsageError } from "../Client/Errors.js"
import { Hello } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Paths } from "../Services/Paths.js"
import { Terminal } from "../Services/Terminal.js"

export const agentCommand = Command.make(
  "agent",
  {
    foreground: Options.boolean("foreground").pipe(
      Options.withDescription("Run attached to this terminal, logging to stderr (for debugging)")
    ),
    daemonize: Options.boolean("daemonize").pipe(
      Options.withDescription("Start in the background and return (the default; the original Mairu's spelling)")
    ),
    logToFile: Options.boolean("log-to-file").pipe(
      Options.withDescription("Log to {state}/log/agent.log (rotated) instead of stderr; level from MAIRU_AGENT_LOG")
    )
  },
  ({ daemonize, foreground, logToFile }) =>
    Effect.gen(function*() {
      const terminal = yield* Terminal
      const { socketPath } = yield* Paths
      if (foreground && daemonize) return yield* new UsageError({ problem: "ForegroundWithDaemonize" })
      if (foreground) return yield* runAgentAttached({ logToFile })
      const agent = yield* AgentClient
      if (yield* agent.ping) {
        // Something listens: an agent of ours says hello; another (the original Rust Mairu's) is named.
        yield* agent.call(new Hello())
        yield* terminal.message(`An agent is already running at ${socketPath}.`)
        return
      }
      yield* agent.start
      yield* terminal.message(`Started the agent at ${socketPath}.`)
    })
).pipe(Command.withDescription("Start the agent in the background (it starts by itself when needed)."))
