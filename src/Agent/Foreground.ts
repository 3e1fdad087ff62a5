import * as Effect from "effect/Effect"
import { enterAgentEnvironment } from "../Launcher/AgentEnvironment.js"
import { agentLogging } from "../Layers/LoggingLive.js"
import { hardenProcess } from "../Platform/Hardening.js"
import { closeInspector, ignoreDebugSignal, openInspectorUrl } from "../Platform/Inspector.js"
import { ExitCode } from "../ProcessExit.js"
import { Terminal } from "../Services/Terminal.js"
import { runAgent } from "./Main.js"

const refuse = (message: string) =>
  Effect.flatMap(Terminal, (terminal) => terminal.message(`cannot start the agent: ${message}`)).pipe(
    Effect.zipRight(Effect.fail(new ExitCode({ code: 1 })))
  )

/**
 * Node opens its inspector on SIGUSR1 until the agent's entry ignores the signal: one
 * that arrived while Node started may have opened it. Whoever reached it may have left
 * code behind, so the agent does not start (it holds nothing yet).
 */
const inspectorOpenedAtStart = (): string | undefined => {
  const url = openInspectorUrl()
  if (url === undefined) return undefined
  closeInspector()
  return `Node's inspector (a debugger) was opened at ${url} as it started, most likely by a SIGUSR1 from another ` +
    `process; it would let that debugger into the process that holds your tokens. Start it again: mairu agent`
}

/**
 * `mairu agent --foreground [--log-to-file]`: the agent in this process, with the
 * environment it keeps and hardened (no core dumps, no debugger) before it holds
 * anything; a failure to start is told to the user (exit 1). Free of the CLI
 * framework, for the agent's own entry.
 */
export const runAgentAttached = (options: { readonly logToFile: boolean }) =>
  Effect.suspend(() => {
    ignoreDebugSignal()
    const refusal = enterAgentEnvironment() ?? inspectorOpenedAtStart()
    if (refusal !== undefined) return refuse(refusal)
    const hardening = hardenProcess()
    return runAgent(hardening).pipe(Effect.catchTag("AgentStartError", (error) => refuse(error.message)))
  }).pipe(Effect.provide(agentLogging(options.logToFile)))
