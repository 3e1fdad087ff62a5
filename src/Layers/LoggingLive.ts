import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { Paths } from "../Services/Paths.js"
import { Settings } from "../Services/Settings.js"
import { visible } from "../Terminal/Visible.js"

/** A log file is rotated past this size; this many older files are kept. */
const MAX_BYTES = 1024 * 1024
const KEEP = 3

const rotate = (file: string) => {
  for (let i = KEEP - 1; i >= 1; i--) {
    if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`)
  }
  fs.renameSync(file, `${file}.1`)
}

/**
 * logfmt lines appended to `{dir}/agent.log` (mode 0600), rotated at 1 MiB with
 * three older files kept. A failure to write is dropped: logging must never stop the agent.
 */
const fileLogger = (dir: string) => {
  const file = path.join(dir, "agent.log")
  return Logger.map(Logger.logfmtLogger, (line) => {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0
      if (size > MAX_BYTES) rotate(file)
      fs.appendFileSync(file, visible(line) + "\n", { mode: 0o600 })
    } catch {
      // nowhere left to tell
    }
  })
}

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
