import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Option from "effect/Option"

/**
 * Every setting mairu takes from its environment, read once (src/Layers/SettingsLive.ts).
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
  /** MAIRU_SERVER: the default `--server` of `exec` and `console`. */
  readonly defaultServer: Option.Option<string>
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
