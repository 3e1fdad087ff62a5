import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as os from "node:os"
import { showAutoRoleFromEnv } from "../AutoConfig/ShowAutoRole.js"
import { Settings, type SettingsShape } from "../Services/Settings.js"

/** A variable that is set to something: an empty value counts as unset, as in a shell's `${X:-…}`. */
const text = (name: string) =>
  Config.string(name).pipe(Config.option, Config.map(Option.filter((value) => value !== "")))

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
  defaultServer: text("MAIRU_SERVER"),
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
  auditLog: text("MAIRU_AUDIT_LOG"),
  refreshIdle: seconds("MAIRU_AGENT_REFRESH_IDLE", DEFAULT_REFRESH_IDLE),
  refreshSpread: seconds("MAIRU_AGENT_REFRESH_SPREAD", DEFAULT_REFRESH_SPREAD),
  federationEndpoint: text("MAIRU_FEDERATION_ENDPOINT"),
  consoleDestination: text("MAIRU_CONSOLE_DESTINATION"),
  noColor: flag("NO_COLOR"),
  forceColor: flag("FORCE_COLOR"),
  awsRegion: either("AWS_REGION", "AWS_DEFAULT_REGION"),
  awsConfigFile: text("AWS_CONFIG_FILE"),
  ssoOidcEndpoint: either("AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL")
})

/**
 * The settings, from the process's environment (or, in tests, whatever ConfigProvider
 * is in place). The one module that reads `process.env`: the raw environment is kept
 * only to hand on to the commands mairu runs and the agent it starts.
 */
export const SettingsLive = Layer.effect(
  Settings,
  Effect.map(Effect.orDie(settingsConfig), (settings): SettingsShape => ({ ...settings, environment: process.env }))
)

/** The variables the Effect-free modules (the fast paths' wire, launcher and files) read, rebuilt from the settings. */
export const plainEnvironment = (settings: SettingsShape): Record<string, string | undefined> => ({
  ...settings.environment,
  HOME: settings.home,
  XDG_CONFIG_HOME: Option.getOrUndefined(settings.xdgConfigHome),
  XDG_STATE_HOME: Option.getOrUndefined(settings.xdgStateHome),
  XDG_RUNTIME_DIR: Option.getOrUndefined(settings.xdgRuntimeDir),
  MAIRU_AGENT_SOCK: Option.getOrUndefined(settings.agentSocket),
  MAIRU_NO_AUTO_AGENT: settings.noAutoAgent ? "1" : undefined
})
