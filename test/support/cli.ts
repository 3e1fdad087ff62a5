import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Cause from "effect/Cause"
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import type { AutoConfig } from "../../src/AutoConfig/AutoConfigFile.js"
import { cli } from "../../src/Cli.js"
import { TrustStoreLive } from "../../src/Layers/TrustStoreLive.js"
import { ExitCode } from "../../src/ProcessExit.js"
import { type AgentRequest, serverSummary } from "../../src/Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../../src/Schemas/Credentials.js"
import type { ServerConfig } from "../../src/Schemas/ServerConfig.js"
import { type ConfigProblem, findServer } from "../../src/Schemas/ServerFiles.js"
import type { SessionInfo } from "../../src/Schemas/Session.js"
import * as AgentClient from "../../src/Services/AgentClient.js"
import * as AutoConfigs from "../../src/Services/AutoConfigs.js"
import * as Browser from "../../src/Services/Browser.js"
import * as EcsEndpoint from "../../src/Services/EcsEndpoint.js"
import * as ExecRunner from "../../src/Services/ExecRunner.js"
import * as Paths from "../../src/Services/Paths.js"
import * as ServerConfigs from "../../src/Services/ServerConfigs.js"
import * as Settings from "../../src/Services/Settings.js"
import * as Terminal from "../../src/Services/Terminal.js"
import * as TrustStore from "../../src/Services/TrustStore.js"

export type { FakeAgent } from "../../src/Services/AgentClient.js"

/** Credentials a fake agent hands out: valid until 2030. */
export const fakeCredentials: AwsCredentials = {
  accessKeyId: "ASIAEXAMPLE",
  secretAccessKey: Redacted.make("secret"),
  sessionToken: Redacted.make("token"),
  expiration: new Date("2030-01-01T00:00:00Z"),
  noCache: false
}

/** A fake agent's session `id` for `server`, valid until 2030, which the agent does not refresh by itself. */
export const fakeSession = (server: ServerConfig, id = 0): SessionInfo => ({
  id,
  serverId: server.id,
  serverUrl: server.url,
  expiresAt: new Date("2030-01-01T00:00:00Z"),
  renewsAt: undefined
})

type Request<Tag extends AgentRequest["_tag"]> = Extract<AgentRequest, { readonly _tag: Tag }>

/** A fake agent's answers by request, each typed by its request's schemas. */
export type AgentAnswers = {
  readonly [Tag in AgentRequest["_tag"]]?: (
    request: Request<Tag>
  ) => Effect.Effect<Schema.WithResult.Success<Request<Tag>>, Schema.WithResult.Failure<Request<Tag>>>
}

/** A fake agent that answers these requests (any other is a defect of the test). */
export const answering = (answers: AgentAnswers): AgentClient.FakeAgent => (request) => {
  const answer = answers[request._tag] as ((request: AgentRequest) => Effect.Effect<unknown, unknown>) | undefined
  return answer === undefined ? Effect.die(`the fake agent was not expected to get ${request._tag}`) : answer(request)
}

export interface CliRun {
  /** What the user was told (without the `:: mairu ::` prefix), and the products on stdout. */
  readonly messages: ReadonlyArray<string>
  readonly products: ReadonlyArray<string>
  readonly prompts: ReadonlyArray<string>
  /** What the CLI framework itself printed: help and the version on stdout, argument errors on stderr. */
  readonly printed: ReadonlyArray<string>
  readonly printedErrors: ReadonlyArray<string>
  /** Every request the agent got, ResolveServer included. */
  readonly requests: ReadonlyArray<AgentRequest>
  /** The URLs handed to the browser, and the commands `exec` ran. */
  readonly opened: ReadonlyArray<string>
  readonly ran: ReadonlyArray<ExecRunner.RanCommand>
  /** How a program exits after this run: 0, an ExitCode's code, else 1. */
  readonly code: number
  readonly exit: Exit.Exit<unknown, unknown>
}

export interface CliOptions {
  /** Answers the agent's requests; ResolveServer too, unless `servers` are given (the agent's own configuration). */
  readonly agent?: AgentClient.FakeAgent
  /** Whether an agent is running before the command asks it anything (default: yes). */
  readonly running?: boolean
  readonly servers?: ReadonlyArray<ServerConfig>
  /** servers.d files the client skipped. */
  readonly problems?: ReadonlyArray<ConfigProblem>
  readonly env?: Record<string, string>
  /** The `.mairu.json` every folder finds. */
  readonly auto?: AutoConfig | AutoConfigs.AutoConfigUnusable
  /** Digests already trusted; or "disk": the trust store of `home`. */
  readonly trusted?: Set<string> | "disk"
  /** mairu's folders are under it (nothing is written there unless the trust store is "disk"). */
  readonly home?: string
  /** Answers typed at prompts: with some, there is a terminal. */
  readonly answers?: ReadonlyArray<string>
  readonly browser?: (url: string) => Effect.Effect<boolean>
  readonly run?: (command: ExecRunner.RanCommand) => Effect.Effect<ExecRunner.ExitStatus, ExecRunner.CommandNotRunnable>
  /** Where the terminal records what it is told, for a test to watch while the command runs. */
  readonly terminal?: Terminal.TerminalRecord
  /** The ecs endpoint's credential fetches, for a test to make while the command runs. */
  readonly fetches?: Array<Effect.Effect<void>>
}

const exitCode = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.isInterruptedOnly(exit.cause)) return 130
  const failure = Cause.failureOption(exit.cause)
  return Option.isSome(failure) && failure.value instanceof ExitCode ? failure.value.code : 1
}

/**
 * Runs mairu's CLI in this process as the executable does (src/Cli.ts: argument parsing, the
 * commands, failures told to the user), on the services' test layers: a fake agent, the given
 * servers and environment, a terminal that records what it is told. Nothing here starts a
 * process or a socket. Run it with `it.effect` for a TestClock.
 */
export const runCli = (argv: ReadonlyArray<string>, options: CliOptions = {}): Effect.Effect<CliRun> =>
  Effect.gen(function*() {
    const terminal = options.terminal ?? Terminal.terminalRecord(options.answers)
    const requests: Array<AgentRequest> = []
    const opened: Array<string> = []
    const ran: Array<ExecRunner.RanCommand> = []
    const loaded = { servers: options.servers ?? [], problems: options.problems ?? [] }
    const asked = options.agent ?? (() => Effect.die("the fake agent was not expected to be asked"))
    const agent: AgentClient.FakeAgent = (request) => {
      requests.push(request)
      if (request._tag !== "ResolveServer" || options.servers === undefined) return asked(request)
      // The agent resolves server names in its own configuration: here, `servers`.
      return Effect.map(findServer(loaded, request.server, "/agent/servers.d"), serverSummary)
    }
    const home = options.home ?? "/home/test"
    const trust = options.trusted === "disk"
      ? TrustStoreLive.pipe(Layer.provide(Paths.layerTest(home)))
      : TrustStore.layerTest(options.trusted)

    const layer = Layer.mergeAll(
      Terminal.layerTest(terminal),
      AgentClient.layerTest(agent, { running: options.running ?? true }),
      ServerConfigs.layerTest(loaded),
      Browser.layerTest(opened, options.browser),
      EcsEndpoint.layerTest(options.fetches),
      ExecRunner.layerTest(ran, options.run),
      AutoConfigs.layerTest(options.auto),
      Paths.layerTest(home),
      trust,
      Settings.layerTest({ HOME: home, ...options.env }),
      NodeContext.layer
    )
    const printed: Array<string> = []
    const printedErrors: Array<string> = []
    const console: Console.Console = {
      ...(yield* Effect.console),
      log: (...args) => Effect.sync(() => void printed.push(args.join(" "))),
      error: (...args) => Effect.sync(() => void printedErrors.push(args.join(" ")))
    }
    const exit = yield* cli(["node", "mairu", ...argv]).pipe(
      Effect.provide(layer),
      Effect.withConsole(console),
      Effect.exit
    )
    return {
      messages: terminal.messages,
      products: terminal.products,
      prompts: terminal.prompts,
      printed,
      printedErrors,
      requests,
      opened,
      ran,
      code: exitCode(exit),
      exit
    }
  })
