import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { cli } from "./Cli.js"
import { AgentClientLive } from "./Layers/AgentClientLive.js"
import { AutoConfigsLive } from "./Layers/AutoConfigsLive.js"
import { BrowserLive } from "./Layers/BrowserLive.js"
import { EcsEndpointLive } from "./Layers/EcsEndpointLive.js"
import { ExecRunnerLive } from "./Layers/ExecRunnerLive.js"
import { CommandLoggingLive } from "./Layers/LoggingLive.js"
import { PathsLive } from "./Layers/PathsLive.js"
import { ServerConfigsLive } from "./Layers/ServerConfigsLive.js"
import { SettingsLive } from "./Layers/SettingsLive.js"
import { TerminalLive } from "./Layers/TerminalLive.js"
import { TrustStoreLive } from "./Layers/TrustStoreLive.js"
import { exitProcess, reportUnexpected } from "./ProcessExit.js"
import { Settings } from "./Services/Settings.js"
import { renderWrites, stripColourUnlessAllowed } from "./Terminal/PlainOutput.js"

const MainLive = Layer.mergeAll(
  ServerConfigsLive,
  AgentClientLive,
  TrustStoreLive,
  AutoConfigsLive,
  EcsEndpointLive,
  ExecRunnerLive,
  BrowserLive
).pipe(
  Layer.provideMerge(Layer.mergeAll(PathsLive, TerminalLive, CommandLoggingLive)),
  Layer.provideMerge(Layer.merge(NodeContext.layer, SettingsLive))
)

/**
 * The CLI framework writes help and argument errors (which quote argv) itself: they pass the
 * terminal renderer, then lose their colour where it is not wanted (the framework styles unconditionally).
 */
const renderFrameworkOutput = Effect.map(Settings, (settings) => {
  renderWrites(process.stdout, settings)
  renderWrites(process.stderr, settings)
  stripColourUnlessAllowed(process.stdout, settings)
  stripColourUnlessAllowed(process.stderr, settings)
})

const program = renderFrameworkOutput.pipe(
  Effect.zipRight(cli(process.argv)),
  reportUnexpected(ValidationError.isValidationError),
  Effect.provide(MainLive)
)

NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: exitProcess
})
