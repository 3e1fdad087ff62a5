import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { chainOf, type ExecMode } from "../AutoConfig/AutoConfigFile.js"
import type { AgentError } from "../Schemas/AgentErrors.js"
import { type AssumeRoleChain, ResolveServer, type ServerSummary } from "../Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import type { GrantType } from "../Schemas/ServerConfig.js"
import { type AgentCallError, AgentClient } from "../Services/AgentClient.js"
import { Settings, variable } from "../Services/Settings.js"
import { Terminal } from "../Services/Terminal.js"
import { ensureTrusted, findAutoConfig } from "./AutoRole.js"
import { NoServer } from "./Errors.js"
import { runLogin } from "./LoginFlow.js"
import { chainFromFlags, type RoleChainFlags } from "./RoleChainOptions.js"

const WAITING_NOTICE = "2 seconds"

/** What `exec` will do, once ROLE (or `auto`) and the flags are resolved. */
export interface ExecPlan {
  /** As the agent knows it: servers are looked up in the agent's configuration. */
  readonly server: ServerSummary
  readonly role: string
  readonly assumeRole: AssumeRoleChain | undefined
  readonly mode: ExecMode
  readonly region: string | undefined
}

/** A server named by `--server`, or by MAIRU_SERVER (which `auto` does not follow: its file names the server). */
export interface ServerChoice {
  readonly name: string
  readonly fromEnvironment: boolean
}

/** `--server` of `exec` and `console`, with MAIRU_SERVER (read from the settings' ConfigProvider) as its default. */
export const serverOption = Options.text("server").pipe(
  Options.map((name): ServerChoice => ({ name, fromEnvironment: false })),
  Options.withFallbackConfig(
    variable("MAIRU_SERVER").pipe(Config.map((name): ServerChoice => ({ name, fromEnvironment: true })))
  ),
  Options.withDescription("Server id or url (default: $MAIRU_SERVER; with auto: the file's server)"),
  Options.optional
)

/** The flags that choose a role: `exec`'s, and the subset `console` has. */
export interface PlanFlags extends RoleChainFlags {
  readonly server: Option.Option<ServerChoice>
  readonly role: string
  readonly mode: Option.Option<ExecMode>
  readonly confirmTrust: Option.Option<string>
  readonly showAuto: boolean
}

/** Resolves ROLE (or `auto`, once trusted) and the flags into server, role, chain, mode and region. */
export const resolvePlan = (flags: PlanFlags, approveCommand: (digest: string) => string) =>
  Effect.gen(function*() {
    const agent = yield* AgentClient
    const resolve = (name: string) => agent.call(new ResolveServer({ server: name }))
    const terminal = yield* Terminal
    const settings = yield* Settings
    if (flags.role !== "auto") {
      if (Option.isNone(flags.server)) return yield* new NoServer({ role: flags.role })
      return {
        server: yield* resolve(flags.server.value.name),
        role: flags.role,
        assumeRole: yield* chainFromFlags(flags),
        mode: Option.getOrElse(flags.mode, () => "ecs" as const),
        region: undefined
      } satisfies ExecPlan
    }
    const auto = yield* findAutoConfig(process.cwd())
    yield* ensureTrusted(auto, flags.confirmTrust, approveCommand)
    const file = auto.config
    const plan: ExecPlan = {
      server: yield* resolve(
        Option.match(Option.filter(flags.server, (server) => !server.fromEnvironment), {
          onNone: () => file.server,
          onSome: (server) => server.name
        })
      ),
      role: file.role,
      assumeRole: yield* chainFromFlags(flags, chainOf(file)),
      mode: Option.getOrElse(flags.mode, () => file.mode ?? "ecs"),
      region: file.region
    }
    if (flags.showAuto || settings.showAutoRole) {
      yield* terminal.message(`auto: server ${plan.server.id}, role ${plan.role} (from ${auto.path})`)
    }
    return plan
  })

/**
 * Obtains credentials before anything runs: says so after 2 s of waiting, and
 * when the session has ended logs in (joining a login in progress) and tries again.
 */
export const obtainWithLogin = (
  plan: ExecPlan,
  obtain: Effect.Effect<AwsCredentials, AgentError | AgentCallError>,
  options: { readonly login: boolean; readonly grantType: GrantType | undefined; readonly browser: boolean }
) =>
  Effect.gen(function*() {
    const terminal = yield* Terminal
    const what = `${plan.role} from ${plan.server.id}`
    const withNotice = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.gen(function*() {
        const notice = yield* Effect.fork(
          Effect.sleep(WAITING_NOTICE).pipe(Effect.zipRight(terminal.message(`Waiting for credentials for ${what}…`)))
        )
        return yield* effect.pipe(Effect.ensuring(Fiber.interrupt(notice)))
      })
    return yield* withNotice(obtain).pipe(
      Effect.catchTag("Unauthenticated", (error) =>
        options.login
          ? terminal.message(`${error.message}; logging in to ${plan.server.id}.`).pipe(
            Effect.zipRight(runLogin(plan.server.id, options.grantType, { browser: options.browser })),
            Effect.zipRight(withNotice(obtain))
          )
          : Effect.fail(error))
    )
  })
