import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as os from "node:os"
import { showAutoRoleFromEnv } from "../AutoConfig/ShowAutoRole.js"

/**
 * Every setting mairu takes from its environment, read once from the ConfigProvider (`settingsConfig`,
 * below; `--server`'s MAIRU_SERVER is read by its option, from the same provider).
 * In the agent these are the agent's own: the environment it was started with, not a client's.
 */
export interface SettingsShape {
  readonly home: string
  readonly user: Option.Option<string>
  readonly xdgConfigHome: Option.Option<string>
  readonly xdgStateHome: Option.Option<string>
  readonly xdgRuntimeDir: Option.Option<string>
  /** MAIRU_AGENT_SOCK */
  readonly agentSocket: Option.Option<string>
  /** MAIRU_SHOW_AUTO_ROLE: set (and not `false`) */
  readonly showAutoRole: boolean
  /** MAIRU_NO_AUTO_AGENT */
  readonly noAutoAgent: boolean
  /** MAIRU_LOCAL_PORT, as given: it is checked where a login needs it. */
  readonly localPort: Option.Option<string>
  /** MAIRU_LOG */
  readonly logLevel: Option.Option<string>
  /** MAIRU_AGENT_LOG */
  readonly agentLogLevel: Option.Option<string>
  /** MAIRU_NO_BROWSER */
  readonly noBrowser: boolean
  /** BROWSER: colon-separated commands that open a page, before the desktop's opener. */
  readonly browser: Option.Option<string>
  /** SSH_CONNECTION or SSH_TTY: a browser here would open on another machine's display, if at all. */
  readonly overSsh: boolean
  /** DISPLAY or WAYLAND_DISPLAY */
  readonly desktop: boolean
  /** MAIRU_AUDIT_LOG: the file the agent appends its audit trail to, one JSON line per entry. */
  readonly auditLog: Option.Option<string>
  /** MAIRU_AGENT_REFRESH_IDLE (seconds) */
  readonly refreshIdle: Duration.Duration
  /** MAIRU_AGENT_REFRESH_SPREAD (seconds) */
  readonly refreshSpread: Duration.Duration
  /** MAIRU_FEDERATION_ENDPOINT: else the sign-in endpoint of the console region's partition. */
  readonly federationEndpoint: Option.Option<string>
  /** MAIRU_CONSOLE_DESTINATION: the console page without `--region` or `--destination`. */
  readonly consoleDestination: Option.Option<string>
  readonly noColor: boolean
  readonly forceColor: boolean
  /** AWS_REGION, else AWS_DEFAULT_REGION */
  readonly awsRegion: Option.Option<string>
  /** AWS_CONFIG_FILE: the AWS config file, as the AWS tools read it (else ~/.aws/config). */
  readonly awsConfigFile: Option.Option<string>
  /** AWS_ENDPOINT_URL_SSO_OIDC, else AWS_ENDPOINT_URL: where the sso-oidc authorize page is. */
  readonly ssoOidcEndpoint: Option.Option<string>
  /** The whole environment: what a command that mairu runs, or the agent it starts, inherits. */
  readonly environment: Readonly<Record<string, string | undefined>>
}

export class Settings extends Context.Tag("mairu/Settings")<Settings, SettingsShape>() {}

/**
 * A variable that is set to something: an empty value counts as unset (missing), as in a
 * shell's `${X:-…}`. Also what the options with an environment default fall back to.
 */
export const variable = (name: string): Config.Config<string> =>
  Config.string(name).pipe(
    Config.mapOrFail((value) =>
      value === "" ? Either.left(ConfigError.MissingData([name], `${name} is empty`)) : Either.right(value)
    )
  )

const text = (name: string) => Config.option(variable(name))

const flag = (name: string) => text(name).pipe(Config.map(Option.isSome))

const either = (first: string, second: string) =>
  Config.all([text(first), text(second)]).pipe(Config.map(([a, b]) => Option.orElse(a, () => b)))

/** Seconds, or the default when unset or not a number >= 0. */
const seconds = (name: string, fallback: Duration.Duration) =>
  text(name).pipe(Config.map((value) =>
    value.pipe(
      Option.map(Number),
      Option.filter((n) => Number.isFinite(n) && n >= 0),
      Option.match({ onNone: () => fallback, onSome: (n) => Duration.seconds(n) })
    )
  ))

export const DEFAULT_REFRESH_IDLE = Duration.hours(4)
export const DEFAULT_REFRESH_SPREAD = Duration.minutes(2)

/** Every setting but the raw environment, from the current ConfigProvider. */
export const settingsConfig = Config.all({
  home: text("HOME").pipe(Config.map(Option.getOrElse(() => os.homedir()))),
  user: text("USER"),
  xdgConfigHome: text("XDG_CONFIG_HOME"),
  xdgStateHome: text("XDG_STATE_HOME"),
  xdgRuntimeDir: text("XDG_RUNTIME_DIR"),
  agentSocket: text("MAIRU_AGENT_SOCK"),
  showAutoRole: text("MAIRU_SHOW_AUTO_ROLE").pipe(
    Config.map((value) => showAutoRoleFromEnv({ MAIRU_SHOW_AUTO_ROLE: Option.getOrUndefined(value) }))
  ),
  noAutoAgent: flag("MAIRU_NO_AUTO_AGENT"),
  localPort: text("MAIRU_LOCAL_PORT"),
  logLevel: text("MAIRU_LOG"),
  agentLogLevel: text("MAIRU_AGENT_LOG"),
  noBrowser: flag("MAIRU_NO_BROWSER"),
  browser: text("BROWSER"),
  overSsh: Config.all([flag("SSH_CONNECTION"), flag("SSH_TTY")]).pipe(Config.map(([a, b]) => a || b)),
  desktop: Config.all([flag("DISPLAY"), flag("WAYLAND_DISPLAY")]).pipe(Config.map(([a, b]) => a || b)),
  refreshIdle: seconds("MAIRU_AGENT_REFRESH_IDLE", DEFAULT_REFRESH_IDLE),
  refreshSpread: seconds("MAIRU_AGENT_REFRESH_SPREAD", DEFAULT_REFRESH_SPREAD),
  federationEndpoint: text("MAIRU_FEDERATION_ENDPOINT"),
  consoleDestination: text("MAIRU_CONSOLE_DESTINATION"),
  noColor: flag("NO_COLOR"),
  forceColor: flag("FORCE_COLOR"),
  awsRegion: either("AWS_REGION", "AWS_DEFAULT_REGION"),
  awsConfigFile: text("AWS_CONFIG_FILE"),
  auditLog: text("MAIRU_AUDIT_LOG"),
  ssoOidcEndpoint: either("AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL")
})

/**
 * For tests: the settings as these variables make them, and nothing else. They become the
 * ConfigProvider of whatever the layer is provided to, so that the options with an
 * environment default (`--server`) read them too.
 */
export const layerTest = (variables: Readonly<Record<string, string>> = {}) =>
  Layer.effect(
    Settings,
    Effect.map(Effect.orDie(settingsConfig), (settings): SettingsShape => ({ ...settings, environment: variables }))
  ).pipe(Layer.provideMerge(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(variables))))))
