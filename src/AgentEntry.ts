// The agent's own entry, for `mairu agent --foreground [--log-to-file]` exactly as the
// client starts it: it runs the daemon without loading the CLI framework and the other
// commands, which keeps the long-lived process smaller.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { runAgentAttached } from "./Agent/Foreground.js"
import { PathsLive } from "./Layers/PathsLive.js"
import { SettingsLive } from "./Layers/SettingsLive.js"
import { TerminalLive } from "./Layers/TerminalLive.js"
import { exitProcess, reportUnexpected } from "./ProcessExit.js"

const logToFile = process.argv.slice(2).includes("--log-to-file")

const program = runAgentAttached({ logToFile }).pipe(
  reportUnexpected(),
  Effect.provide(Layer.mergeAll(PathsLive, TerminalLive).pipe(Layer.provideMerge(SettingsLive)))
)

NodeRuntime.runMain(program, { disableErrorReporting: true, disablePrettyLogger: true, teardown: exitProcess })
