import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { AssumeRoleChain } from "../../Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../../Schemas/Credentials.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import type { Served } from "./CredentialCache.js"
import type { Session } from "./SessionStore.js"

/** Upstream calls to one server at the same time; more wait their turn. */
export const MAX_UPSTREAM_PER_SERVER = 8

/** What a client asks credentials for: a server's role, optionally chained to another. */
export interface RoleSpec {
  readonly server: ServerConfig
  readonly role: string
  readonly assumeRole: AssumeRoleChain | undefined
}

/** The cache key of a role specification: both hops are cached, each under its full specification. */
export const roleSpecKey = (spec: RoleSpec) =>
  JSON.stringify(spec.assumeRole === undefined ? [spec.role] : [spec.role, spec.assumeRole])

/** Credentials for a role specification, through the session, the cache, the backend and the role chain. */
export interface CredentialsShape {
  /** `noCache` skips the cached credentials (but still joins a fetch under way); says which it was. */
  readonly get: (spec: RoleSpec, noCache: boolean) => Effect.Effect<Served, AgentError>
  /** Runs `use` with a valid session; a server that no longer accepts it ends the session. */
  readonly withSession: <A>(
    server: ServerConfig,
    use: (session: Session) => Effect.Effect<A, AgentError>
  ) => Effect.Effect<A, AgentError>
  /** At most MAX_UPSTREAM_PER_SERVER calls to one server at a time; the others queue. */
  readonly limited: <A>(server: ServerConfig, call: Effect.Effect<A, AgentError>) => Effect.Effect<A, AgentError>
}

/** A request the test layer of Credentials answered, at the clock's time. */
export interface CredentialsRequest {
  readonly spec: RoleSpec
  readonly noCache: boolean
  readonly at: number
}

export class Credentials extends Context.Tag("mairu/Credentials")<Credentials, CredentialsShape>() {
  /**
   * Credentials for tests of what asks for them: fresh ones on every request
   * (`AKID-ROLE-N`, valid for `lifetime`, an hour unless said from the clock's now),
   * each request recorded in `requests`; sessions hold the access token `token-ID`,
   * and calls are not limited.
   */
  static layerTest = (
    options: { readonly lifetime?: Duration.DurationInput; readonly requests?: Array<CredentialsRequest> } = {}
  ) =>
    Layer.sync(Credentials, () => {
      const lifetime = Duration.toMillis(options.lifetime ?? "1 hour")
      let answered = 0
      return {
        get: (spec, noCache) =>
          Effect.map(Clock.currentTimeMillis, (at) => {
            options.requests?.push({ spec, noCache, at })
            const credentials = {
              accessKeyId: `AKID-${spec.role}-${++answered}`,
              secretAccessKey: Redacted.make("secret"),
              sessionToken: undefined,
              expiration: new Date(at + lifetime),
              noCache: false
            } satisfies AwsCredentials
            return { credentials, source: "upstream" } satisfies Served
          }),
        withSession: (server, use) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            use({
              id: 0,
              server,
              accessToken: Redacted.make(`token-${server.id}`),
              issuedAt: new Date(now),
              expiresAt: new Date(now + lifetime),
              refreshToken: undefined
            })),
        limited: (_server, call) => call
      }
    })
}
