import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { AwsCredentials, RoleInfo } from "../../Schemas/Credentials.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"

/** Turns a server session's access token into AWS credentials (one implementation per server kind). */
export interface CredentialBackendShape {
  readonly assumeRole: (
    server: ServerConfig,
    accessToken: Redacted.Redacted<string>,
    role: string
  ) => Effect.Effect<AwsCredentials, AgentError>
  readonly listRoles: (
    server: ServerConfig,
    accessToken: Redacted.Redacted<string>
  ) => Effect.Effect<ReadonlyArray<RoleInfo>, AgentError>
}

/** An assumeRole call the test backend answered or refused, at the clock's time. */
export interface BackendCall {
  readonly role: string
  readonly accessToken: string
  readonly at: number
  /** When the credentials it handed out expire; undefined when it refused the call. */
  readonly expiresAt: number | undefined
}

export class CredentialBackend extends Context.Tag("mairu/CredentialBackend")<
  CredentialBackend,
  CredentialBackendShape
>() {
  /**
   * A simulated credential server for tests: `assumeRole` answers `AKID-ROLE-N`
   * credentials valid for `lifetime` (an hour unless said) from the clock's now,
   * after `latency`, unless `refuse` (given the calls before) names an error;
   * every call is recorded in `calls`. `listRoles` answers `roles`.
   */
  static layerTest = (
    options: {
      readonly lifetime?: Duration.DurationInput
      readonly latency?: Duration.DurationInput
      readonly refuse?: (role: string, earlier: ReadonlyArray<BackendCall>) => AgentError | undefined
      readonly calls?: Array<BackendCall>
      readonly roles?: ReadonlyArray<RoleInfo>
    } = {}
  ) =>
    Layer.sync(CredentialBackend, () => {
      const calls = options.calls ?? []
      const lifetime = Duration.toMillis(options.lifetime ?? "1 hour")
      return {
        assumeRole: (_server, accessToken, role) =>
          Effect.gen(function*() {
            if (options.latency !== undefined) yield* Effect.sleep(options.latency)
            const at = yield* Clock.currentTimeMillis
            const refused = options.refuse?.(role, [...calls])
            calls.push({
              role,
              accessToken: Redacted.value(accessToken),
              at,
              expiresAt: refused ? undefined : at + lifetime
            })
            if (refused !== undefined) return yield* Effect.fail(refused)
            return {
              accessKeyId: `AKID-${role}-${calls.length}`,
              secretAccessKey: Redacted.make("secret"),
              sessionToken: undefined,
              expiration: new Date(at + lifetime),
              noCache: false
            } satisfies AwsCredentials
          }),
        listRoles: () => Effect.succeed(options.roles ?? [])
      }
    })
}

/** Every call to a credential or token server gives up after this long. */
export const UPSTREAM_TIMEOUT = "15 seconds"
