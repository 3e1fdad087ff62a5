import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Settings } from "../../Services/Settings.js"
import { awsSsoRefresh, awsSsoStartLogin } from "../Aws/SsoOAuth.js"
import { mairuApiStartLogin } from "../MairuApi/OAuth.js"
import { refreshTokens, revokeRefreshToken } from "../MairuApi/TokenEndpoint.js"
import { OAuth } from "../Services/OAuth.js"
import { SsoRegistrations } from "../Services/SsoRegistrations.js"

/** The OAuth flows of both server kinds: RFC 6749 for Mairu API servers, sso-oidc for AWS SSO. */
export const OAuthLive = Layer.effect(
  OAuth,
  Effect.gen(function*() {
    const context = yield* Effect.context<HttpClient.HttpClient | SsoRegistrations | Settings>()
    return {
      start: (server, grantType) =>
        server._tag === "MairuApi"
          ? mairuApiStartLogin(server, server.oauth, grantType).pipe(Effect.provide(context))
          : awsSsoStartLogin(server, grantType).pipe(Effect.provide(context)),
      refresh: (server, refreshToken) =>
        server._tag === "MairuApi"
          ? refreshTokens(server, server.oauth, refreshToken).pipe(Effect.provide(context))
          : awsSsoRefresh(server, refreshToken).pipe(Effect.provide(context)),
      revoke: (server, refreshToken) =>
        server._tag === "MairuApi" && server.oauth.revocationEndpoint !== undefined
          ? revokeRefreshToken(server, server.oauth, server.oauth.revocationEndpoint, refreshToken).pipe(
            Effect.as("revoked" as const),
            Effect.provide(context)
          )
          : Effect.succeed("not-supported" as const)
    }
  })
)
