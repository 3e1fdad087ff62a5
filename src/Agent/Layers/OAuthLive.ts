import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type { GrantType, ServerConfig } from "../../Schemas/ServerConfig.js"
import { Settings } from "../../Services/Settings.js"
import { awsSsoRefresh, awsSsoStartLogin } from "../Aws/SsoOAuth.js"
import { mairuApiStartLogin } from "../MairuApi/OAuth.js"
import { refreshTokens, revokeRefreshToken } from "../MairuApi/TokenEndpoint.js"
import { KnownSecrets } from "../Services/KnownSecrets.js"
import { OAuth, type PendingGrant } from "../Services/OAuth.js"
import { SsoRegistrations } from "../Services/SsoRegistrations.js"

/**
 * The OAuth flows of both server kinds: RFC 6749 for Mairu API servers, sso-oidc for AWS
 * SSO. Their failures, whatever server text they quote, leave with every secret the agent
 * knows of the server's session removed.
 */
export const OAuthLive = Layer.effect(
  OAuth,
  Effect.gen(function*() {
    const context = yield* Effect.context<HttpClient.HttpClient | SsoRegistrations | Settings | KnownSecrets>()
    const { scrubbing } = Context.get(context, KnownSecrets)
    const start = (server: ServerConfig, grantType: GrantType | undefined) =>
      server._tag === "MairuApi"
        ? mairuApiStartLogin(server, server.oauth, grantType).pipe(Effect.provide(context))
        : awsSsoStartLogin(server, grantType).pipe(Effect.provide(context))
    const refresh = (server: ServerConfig, refreshToken: Redacted.Redacted<string>) =>
      server._tag === "MairuApi"
        ? refreshTokens(server, server.oauth, refreshToken).pipe(Effect.provide(context))
        : awsSsoRefresh(server, refreshToken).pipe(Effect.provide(context))
    return {
      start: (server, grantType) =>
        start(server, grantType).pipe(
          scrubbing(server),
          Effect.map((grant: PendingGrant) => ({ ...grant, tokens: grant.tokens.pipe(scrubbing(server)) }))
        ),
      refresh: (server, refreshToken) => refresh(server, refreshToken).pipe(scrubbing(server)),
      revoke: (server, refreshToken) =>
        server._tag === "MairuApi" && server.oauth.revocationEndpoint !== undefined
          ? revokeRefreshToken(server, server.oauth, server.oauth.revocationEndpoint, refreshToken).pipe(
            Effect.as("revoked" as const),
            Effect.provide(context),
            scrubbing(server)
          )
          : Effect.succeed("not-supported" as const)
    }
  })
)
