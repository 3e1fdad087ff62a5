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
import { splitExecArgs } from "./Commands/ExecArgv.js"
import { ExecCommandLine } from "./Commands/ExecCommandLine.js"
import { ExitCode } from "./Commands/Failure.js"
import { AutoConfigsLive } from "./Layers/AutoConfigsLive.js"
import { BrowserLive } from "./Layers/BrowserLive.js"
import { EcsEndpointLive } from "./Layers/EcsEndpointLive.js"
import { ExecRunnerLive } from "./Layers/ExecRunnerLive.js"
import { TrustStoreLive } from "./Layers/TrustStoreLive.js"
import { AgentClientLive } from "./Layers/AgentClientLive.js"
import { fileLogger } from "./Layers/FileLogger.js"
import { dieBy } from "./Plain/CommandProcess.js"
import { stripColourUnlessAllowed } from "./Plain/PlainOutput.js"
import { PathsLive, resolvePaths } from "./Layers/PathsLive.js"
import { ServerConfigsLive } from "./Layers/ServerConfigsLive.js"
import { TerminalLive } from "./Layers/TerminalLive.js"
import { MESSAGE_PREFIX } from "./Services/Terminal.js"
import { VERSION } from "./Version.js"

const logLevel = (name: string | undefined): LogLevel.LogLevel =>
  LogLevel.allLevels.find((level) => level.label.toLowerCase() === name?.toLowerCase()) ?? LogLevel.Info

const isAgent = process.argv[2] === "agent"
const logToFile = isAgent && process.argv.includes("--log-to-file")

const LoggingLive = Layer.merge(
  Logger.replace(
    Logger.defaultLogger,
    logToFile ? fileLogger(resolvePaths(process.env).logDir) : Logger.withConsoleError(Logger.logfmtLogger)
  ),
  Logger.minimumLogLevel(logLevel(isAgent ? process.env.MAIRU_AGENT_LOG ?? process.env.MAIRU_LOG : process.env.MAIRU_LOG))
)

const argv = process.argv.slice(2)
const split = argv[0] === "exec" ? splitExecArgs(argv.slice(1)) : undefined
const cliArgv = split === undefined ? process.argv : [...process.argv.slice(0, 2), "exec", ...split.mairuArgs]
const execCommandLine = split === undefined
  ? { options: [], command: [] }
  : { options: split.mairuArgs.slice(0, -1), command: split.command }

const MainLive = Layer.mergeAll(
  ServerConfigsLive,
  AgentClientLive,
  TrustStoreLive,
  AutoConfigsLive,
  EcsEndpointLive,
  ExecRunnerLive,
  BrowserLive,
  Layer.succeed(ExecCommandLine, execCommandLine)
).pipe(
  Layer.provideMerge(Layer.mergeAll(PathsLive, TerminalLive)),
  Layer.provideMerge(NodeContext.layer),
  Layer.provideMerge(LoggingLive)
)

stripColourUnlessAllowed(process.stdout, process.env)
stripColourUnlessAllowed(process.stderr, process.env)

const cli = Command.run(mairuCommand, { name: "mairu", version: VERSION })

const program = cli(cliArgv).pipe(
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
  disablePrettyLogger: true,
  // Exit at once: nothing left open (an agent connection, a timer) may keep a finished command alive.
  teardown: (exit) => {
    if (Exit.isSuccess(exit)) return process.exit(0)
    if (Cause.isInterruptedOnly(exit.cause)) return process.exit(130)
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure) && failure.value instanceof ExitCode) {
      if (failure.value.signal !== undefined) return dieBy(failure.value.signal)
      return process.exit(failure.value.code)
    }
    process.exit(1)
  }
})
