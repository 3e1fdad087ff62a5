import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import { mairuCommand } from "./Cli.js"
import { AgentClientLive } from "./Layers/AgentClientLive.js"
import { PathsLive } from "./Layers/PathsLive.js"
import { ServerConfigsLive } from "./Layers/ServerConfigsLive.js"
import { TerminalLive } from "./Layers/TerminalLive.js"
import { MESSAGE_PREFIX } from "./Services/Terminal.js"
import { VERSION } from "./Version.js"

const logLevel = (name: string | undefined): LogLevel.LogLevel =>
  LogLevel.allLevels.find((level) => level.label.toLowerCase() === name?.toLowerCase()) ?? LogLevel.Info

const isAgent = process.argv[2] === "agent"

const LoggingLive = Layer.merge(
  Logger.replace(Logger.defaultLogger, Logger.withLeveledConsole(Logger.logfmtLogger).pipe(Logger.withConsoleError)),
  Logger.minimumLogLevel(logLevel(isAgent ? process.env.MAIRU_AGENT_LOG ?? process.env.MAIRU_LOG : process.env.MAIRU_LOG))
)

const MainLive = Layer.mergeAll(ServerConfigsLive, AgentClientLive).pipe(
  Layer.provideMerge(Layer.mergeAll(PathsLive, TerminalLive)),
  Layer.provideMerge(NodeContext.layer),
  Layer.provideMerge(LoggingLive)
)

const cli = Command.run(mairuCommand, { name: "mairu", version: VERSION })

const program = cli(process.argv).pipe(
  Effect.tapErrorCause((cause) => {
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure) && failure.value._tag === "ExitCode") return Effect.void
    if (Option.isSome(failure) && ValidationError.isValidationError(failure.value)) return Effect.void
    if (Cause.isInterruptedOnly(cause)) return Effect.void
    return Effect.sync(() => process.stderr.write(`${MESSAGE_PREFIX}unexpected failure:\n${Cause.pretty(cause)}\n`))
  }),
  Effect.provide(MainLive)
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    if (Exit.isSuccess(exit)) return onExit(0)
    if (Cause.isInterruptedOnly(exit.cause)) return onExit(130)
    const failure = Cause.failureOption(exit.cause)
    const code = Option.isSome(failure) && typeof failure.value === "object" && failure.value !== null &&
        "_tag" in failure.value && failure.value._tag === "ExitCode" && "code" in failure.value
      ? Number(failure.value.code)
      : 1
    onExit(code)
  }
})
