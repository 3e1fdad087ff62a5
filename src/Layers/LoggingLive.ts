import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { visible } from "../Plain/Visible.js"
import { fileLogger } from "./FileLogger.js"
import { resolvePaths } from "./PathsLive.js"

const logLevel = (name: string | undefined): LogLevel.LogLevel =>
  LogLevel.allLevels.find((level) => level.label.toLowerCase() === name?.toLowerCase()) ?? LogLevel.Info

/**
 * Logging for the command in `args`: logfmt on stderr, or the rotated log file for
 * `agent --log-to-file`; the level from MAIRU_LOG (for the agent, MAIRU_AGENT_LOG first).
 */
export const loggingLayer = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => {
  const isAgent = args[0] === "agent"
  const logToFile = isAgent && args.includes("--log-to-file")
  return Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      logToFile ? fileLogger(resolvePaths(env).logDir) : Logger.withConsoleError(Logger.map(Logger.logfmtLogger, visible))
    ),
    Logger.minimumLogLevel(logLevel(isAgent ? env.MAIRU_AGENT_LOG ?? env.MAIRU_LOG : env.MAIRU_LOG))
  )
}
