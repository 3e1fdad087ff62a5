import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { platform } from "../Platform/ThisPlatform.js"
import { ExitCode } from "../ProcessExit.js"
import { Hello, Shutdown } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Paths } from "../Services/Paths.js"
import { Terminal } from "../Services/Terminal.js"

const isAlive = (pid: number) => Effect.sync(() => platform.isProcessAlive(pid))

/** Waits (up to 5 s) until `running` is false; true when it became false. */
const waitUntilStopped = (running: Effect.Effect<boolean>) =>
  running.pipe(
    Effect.repeat({ while: (yes) => yes, schedule: Schedule.spaced("20 millis") }),
    Effect.timeout("5 seconds"),
    Effect.match({ onFailure: () => false, onSuccess: () => true })
  )

export const killAgentCommand = Command.make("kill-agent", {}, () =>
  Effect.gen(function*() {
    const agent = yield* AgentClient
    const terminal = yield* Terminal
    const { socketPath } = yield* Paths
    if (!(yield* agent.ping)) {
      yield* terminal.message(`No agent is running at ${socketPath}.`)
      return
    }
    // The pid, to report the stop only once the process is gone; an agent of another
    // version does not say, and then its socket closing is what is waited for.
    const pid = yield* agent.call(new Hello()).pipe(Effect.map((status) => status.pid), Effect.option)
    yield* agent.call(new Shutdown())
    const stopped = yield* waitUntilStopped(Option.match(pid, { onNone: () => agent.ping, onSome: isAlive }))
    if (stopped) {
      yield* terminal.message("The agent has stopped; every session it held is gone.")
      return
    }
    yield* terminal.message(
      `Asked the agent to stop, but it is still running after 5 s${
        Option.match(pid, { onNone: () => "", onSome: (n) => ` (pid ${n}); end it with: kill ${n}` })
      }.`
    )
    return yield* Effect.fail(new ExitCode({ code: 1 }))
  })).pipe(
    Command.withDescription("Stop the agent; its sessions and cached credentials are forgotten.")
  )
