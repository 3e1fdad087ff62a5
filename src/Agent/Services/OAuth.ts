import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
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

export class OAuth extends Context.Tag("mairu/OAuth")<OAuth, OAuthShape>() {}

/** A login nobody finishes is abandoned after this long. */
export const LOGIN_TIMEOUT = "10 minutes"
