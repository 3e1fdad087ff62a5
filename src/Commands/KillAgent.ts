import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { Shutdown } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Paths } from "../Services/Paths.js"
import { Terminal } from "../Services/Terminal.js"
import { reportFailures } from "./Failure.js"

export const killAgentCommand = Command.make("kill-agent", {}, () =>
  Effect.gen(function*() {
    const agent = yield* AgentClient
    const terminal = yield* Terminal
    const { socketPath } = yield* Paths
    if (!(yield* agent.ping)) {
      yield* terminal.message(`No agent is running at ${socketPath}.`)
      return
    }
    yield* agent.call(new Shutdown())
    yield* terminal.message("The agent has stopped; every session it held is gone.")
  }).pipe(reportFailures)).pipe(
    Command.withDescription("Stop the agent; its sessions and cached credentials are forgotten.")
  )
