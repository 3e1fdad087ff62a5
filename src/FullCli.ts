import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { mairuCommand } from "./Cli.js"
import { splitExecArgs } from "./Commands/ExecArgv.js"
import { ExecCommandLine } from "./Commands/ExecCommandLine.js"
import { exitProcess, reportUnexpected } from "./Commands/ProcessExit.js"
import { AutoConfigsLive } from "./Layers/AutoConfigsLive.js"
import { BrowserLive } from "./Layers/BrowserLive.js"
import { EcsEndpointLive } from "./Layers/EcsEndpointLive.js"
import { ExecRunnerLive } from "./Layers/ExecRunnerLive.js"
import { TrustStoreLive } from "./Layers/TrustStoreLive.js"
import { AgentClientLive } from "./Layers/AgentClientLive.js"
import { loggingLayer } from "./Layers/LoggingLive.js"
import { renderWrites, stripColourUnlessAllowed } from "./Plain/PlainOutput.js"
import { PathsLive } from "./Layers/PathsLive.js"
import { ServerConfigsLive } from "./Layers/ServerConfigsLive.js"
import { TerminalLive } from "./Layers/TerminalLive.js"
import { VERSION } from "./Version.js"

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
  Layer.provideMerge(loggingLayer(argv, process.env))
)

// The renderer first, so that colour is stripped (when not allowed) before it sees the text.
renderWrites(process.stdout, process.env)
renderWrites(process.stderr, process.env)
stripColourUnlessAllowed(process.stdout, process.env)
stripColourUnlessAllowed(process.stderr, process.env)

const cli = Command.run(mairuCommand, { name: "mairu", version: VERSION })

const program = cli(cliArgv).pipe(
  reportUnexpected(ValidationError.isValidationError),
  Effect.provide(MainLive)
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: exitProcess
})
