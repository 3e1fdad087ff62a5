import * as Command from "@effect/cli/Command"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { mairuCommand } from "../../src/Cli.js"
import { splitExecArgs } from "../../src/Exec/ExecArgv.js"
import { AutoConfigsLive } from "../../src/Layers/AutoConfigsLive.js"
import { PathsLive } from "../../src/Layers/PathsLive.js"
import { TrustStoreLive } from "../../src/Layers/TrustStoreLive.js"
import { NotFound } from "../../src/Schemas/AgentErrors.js"
import { type AgentRequest, serverSummary } from "../../src/Schemas/AgentProtocol.js"
import type { ServerConfig } from "../../src/Schemas/ServerConfig.js"
import { AgentClient } from "../../src/Services/AgentClient.js"
import { Browser } from "../../src/Services/Browser.js"
import { EcsEndpoint } from "../../src/Services/EcsEndpoint.js"
import { ExecCommandLine } from "../../src/Services/ExecCommandLine.js"
import { ExecRunner } from "../../src/Services/ExecRunner.js"
import { ServerConfigs } from "../../src/Services/ServerConfigs.js"
import { Terminal } from "../../src/Services/Terminal.js"
import { settingsFrom } from "./settings.js"

/** What the fake agent answers: by request, an effect (a typed failure fails it). */
export type FakeAgent = (request: AgentRequest) => Effect.Effect<unknown, unknown>

export interface CliRun {
  readonly messages: ReadonlyArray<string>
  readonly products: ReadonlyArray<string>
  readonly requests: ReadonlyArray<AgentRequest>
  readonly exit: Exit.Exit<unknown, unknown>
}

/**
 * Runs the full CLI in this process, as @effect/cli's own tests do: real argument parsing
 * and commands, with a fake agent, the given servers, the given environment and a
 * terminal that records what it is told. Nothing here starts a process or a socket.
 */
export const runCli = (
  argv: ReadonlyArray<string>,
  options: {
    readonly agent?: FakeAgent
    readonly servers?: ReadonlyArray<ServerConfig>
    readonly env?: Record<string, string>
  } = {}
): Effect.Effect<CliRun> =>
  Effect.gen(function*() {
    const messages: Array<string> = []
    const products: Array<string> = []
    const requests: Array<AgentRequest> = []
    const servers = options.servers ?? []
    const findServer = (name: string) => servers.find((s) => s.id === name) ?? servers.find((s) => s.url === name)
    const asked = options.agent ?? (() => Effect.die("the fake agent was not expected to be asked"))
    // The agent resolves server names from its own configuration: here, `servers`.
    const agent: FakeAgent = (request) => {
      if (request._tag !== "ResolveServer") return asked(request)
      const found = findServer(request.server)
      return found === undefined
        ? Effect.fail(new NotFound({ message: `no server "${request.server}" is configured` }))
        : Effect.succeed(serverSummary(found))
    }
    const split = argv[0] === "exec" ? splitExecArgs(argv.slice(1)) : undefined
    const cliArgv = split === undefined ? argv : ["exec", ...split.mairuArgs]

    const layer = Layer.mergeAll(
      Layer.succeed(Terminal, {
        hasTty: false,
        message: (text) => Effect.sync(() => void messages.push(text)),
        product: (text) => Effect.sync(() => void products.push(text)),
        prompt: () => Effect.succeed(Option.none())
      }),
      Layer.succeed(AgentClient, {
        call: (request) =>
          Effect.suspend(() => {
            requests.push(request)
            return agent(request)
          }) as never,
        hold: () => Effect.die("the fake agent holds no requests"),
        ping: Effect.succeed(true),
        start: Effect.void
      }),
      Layer.succeed(ServerConfigs, {
        load: Effect.succeed({ servers, problems: [] }),
        resolve: (name) => {
          const found = findServer(name)
          return found === undefined
            ? Effect.fail(new NotFound({ message: `no server "${name}" is configured` }))
            : Effect.succeed(found)
        }
      }),
      Layer.succeed(Browser, { open: () => Effect.succeed(false) }),
      Layer.succeed(EcsEndpoint, { serve: () => Effect.die("no ecs endpoint in process") }),
      Layer.succeed(ExecRunner, { run: () => Effect.die("no command runs in process") }),
      Layer.succeed(ExecCommandLine, {
        options: split?.mairuArgs.slice(0, -1) ?? [],
        command: split?.command ?? []
      }),
      TrustStoreLive,
      AutoConfigsLive
    ).pipe(
      Layer.provideMerge(PathsLive),
      Layer.provideMerge(Layer.merge(settingsFrom(options.env ?? {}), NodeContext.layer))
    )

    const exit = yield* Command.run(mairuCommand, { name: "mairu", version: "test" })(["node", "mairu", ...cliArgv])
      .pipe(Effect.provide(layer), Effect.exit)
    return { messages, products, requests, exit }
  })
