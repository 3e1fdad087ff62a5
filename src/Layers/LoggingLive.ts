import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import { Paths } from "../Services/Paths.js"
import { Settings } from "../Services/Settings.js"
import { visible } from "../Plain/Visible.js"
import { fileLogger } from "./FileLogger.js"

/** A level by its name (`debug`, `info`, `warning`, …); Info when unset or unknown. */
const levelNamed = (name: Option.Option<string>): LogLevel.LogLevel =>
  Option.match(name, {
    onNone: () => LogLevel.Info,
    onSome: (wanted) =>
      LogLevel.allLevels.find((level) => level.label.toLowerCase() === wanted.toLowerCase()) ?? LogLevel.Info
  })

const stderrLogger = Logger.replace(
  Logger.defaultLogger,
  Logger.withConsoleError(Logger.map(Logger.logfmtLogger, visible))
)

/** Logging for commands: logfmt on stderr, at the level of MAIRU_LOG. */
export const CommandLoggingLive = Layer.unwrapEffect(
  Effect.map(Settings, (settings) => Layer.merge(stderrLogger, Logger.minimumLogLevel(levelNamed(settings.logLevel))))
)

/**
 * Logging for the agent: logfmt on stderr, or the rotated `{state}/log/agent.log` with
 * `--log-to-file`; the level of MAIRU_AGENT_LOG, else MAIRU_LOG.
 */
export const agentLogging = (logToFile: boolean) =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const settings = yield* Settings
      const paths = yield* Paths
      return Layer.merge(
        logToFile ? Logger.replace(Logger.defaultLogger, fileLogger(paths.logDir)) : stderrLogger,
        Logger.minimumLogLevel(levelNamed(Option.orElse(settings.agentLogLevel, () => settings.logLevel)))
      )
    })
  )
