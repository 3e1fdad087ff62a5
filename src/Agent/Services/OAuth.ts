import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { GrantType, ServerConfig } from "../../Schemas/ServerConfig.js"
import type { LoginChallenge } from "../../Schemas/Session.js"
import type { Tokens } from "./SessionStore.js"

/** A login under way: what to show the user, and the tokens once the user has approved. */
export interface PendingGrant {
  readonly challenge: DistributiveOmit<LoginChallenge, "handle">
  readonly tokens: Effect.Effect<Tokens, AgentError>
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** The OAuth 2.0 flows of a server, run by the agent; the PKCE verifier, state and tokens never leave it. */
export interface OAuthShape {
  /** Starts a grant; its resources (the loopback callback server) live as long as the scope. */
  readonly start: (
    server: ServerConfig,
    grantType: GrantType | undefined
  ) => Effect.Effect<PendingGrant, AgentError, Scope.Scope>
  readonly refresh: (
    server: ServerConfig,
    refreshToken: Redacted.Redacted<string>
  ) => Effect.Effect<Tokens, AgentError>
  /**
   * Revokes a refresh token at the server (RFC 7009): "not-supported" when the
   * server's file names no `revocation_endpoint` (AWS SSO servers never do).
   */
  readonly revoke: (
    server: ServerConfig,
    refreshToken: Redacted.Redacted<string>
  ) => Effect.Effect<"revoked" | "not-supported", AgentError>
}

/** What the test OAuth server was asked, at the clock's time; `released` when a login's resources were let go. */
export interface OAuthCall {
  readonly kind: "start" | "released" | "refresh" | "revoke"
  readonly serverId: string
  readonly at: number
}

export class OAuth extends Context.Tag("mairu/OAuth")<OAuth, OAuthShape>() {
  /**
   * A simulated token server for tests. A login is a device grant (code `CODE`) whose
   * tokens come once `approval` succeeds (at once unless said); refreshing runs
   * `refreshing` first (its failure is the refresh's); revoking answers `revocation`
   * ("not-supported" unless said). Tokens last `tokenLifetime` (an hour unless said)
   * from the clock's now, and every call is recorded in `calls`.
   */
  static layerTest = (
    options: {
      readonly tokenLifetime?: Duration.DurationInput
      readonly approval?: Effect.Effect<void, AgentError>
      readonly refreshing?: Effect.Effect<void, AgentError>
      readonly revocation?: Effect.Effect<"revoked" | "not-supported", AgentError>
      readonly calls?: Array<OAuthCall>
    } = {}
  ) =>
    Layer.sync(OAuth, () => {
      const lifetime = Duration.toMillis(options.tokenLifetime ?? "1 hour")
      let issued = 0
      const record = (kind: OAuthCall["kind"], server: ServerConfig) =>
        Effect.flatMap(Clock.currentTimeMillis, (at) =>
          Effect.sync(() => void options.calls?.push({ kind, serverId: server.id, at })))
      const tokens = Effect.map(Clock.currentTimeMillis, (now): Tokens => {
        issued++
        return {
          accessToken: Redacted.make(`access-${issued}`),
          issuedAt: new Date(now),
          expiresAt: new Date(now + lifetime),
          refreshToken: Redacted.make(`refresh-${issued}`)
        }
      })
      return {
        start: (server) =>
          Effect.gen(function*() {
            yield* record("start", server)
            yield* Effect.addFinalizer(() =>
              record("released", server)
            )
            const now = yield* Clock.currentTimeMillis
            return {
              challenge: {
                _tag: "DeviceGrant",
                userCode: "CODE",
                verificationUri: new URL("device", server.url).toString(),
                verificationUriComplete: undefined,
                expiresAt: new Date(now + 10 * 60 * 1000)
              },
              tokens: Effect.zipRight(options.approval ?? Effect.void, tokens)
            } satisfies PendingGrant
          }),
        refresh: (server) =>
          record("refresh", server).pipe(Effect.zipRight(options.refreshing ?? Effect.void), Effect.zipRight(tokens)),
        revoke: (server) =>
          record("revoke", server).pipe(
            Effect.zipRight(options.revocation ?? Effect.succeed("not-supported" as const))
          )
      }
    })
}

/** A login nobody finishes is abandoned after this long. */
export const LOGIN_TIMEOUT = "10 minutes"
