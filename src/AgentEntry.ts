// The agent's own entry, for `mairu agent --foreground [--log-to-file]` exactly as the
// client starts it: it runs the daemon without loading the CLI framework and the other
// commands, which keeps the long-lived process smaller.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { runAgent } from "./Agent/Main.js"
import { fileLogger } from "./Layers/FileLogger.js"
import { PathsLive, resolvePaths } from "./Layers/PathsLive.js"
import { messageText, openTty, writeAll } from "./Plain/Messages.js"

const logToFile = process.argv.includes("--log-to-file")
const levelName = (process.env.MAIRU_AGENT_LOG ?? process.env.MAIRU_LOG)?.toLowerCase()

const LoggingLive = Layer.merge(
  Logger.replace(
    Logger.defaultLogger,
    logToFile ? fileLogger(resolvePaths(process.env).logDir) : Logger.withConsoleError(Logger.logfmtLogger)
  ),
  Logger.minimumLogLevel(LogLevel.allLevels.find((level) => level.label.toLowerCase() === levelName) ?? LogLevel.Info)
)

const program = runAgent.pipe(
  Effect.catchTag("AgentStartError", (error) =>
    Effect.sync(() => {
      writeAll(openTty() ?? 2, messageText(`cannot start the agent: ${error.message}`))
      process.exitCode = 1
    })),
  Effect.provide(Layer.merge(PathsLive, LoggingLive))
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit) => {
    if (Exit.isSuccess(exit)) return process.exit(process.exitCode ?? 0)
    if (Cause.isInterruptedOnly(exit.cause)) return process.exit(130)
    process.stderr.write(messageText(`the agent failed unexpectedly:\n${Cause.pretty(exit.cause)}`))
    process.exit(1)
  }
})
