import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { InvalidArgument } from "../Schemas/AgentErrors.js"
import { OAuth } from "../Services/OAuth.js"
import { mairuApiStartLogin } from "./MairuApiOAuth.js"
import { refreshTokens } from "./OAuthTokenEndpoint.js"

const awsSsoNotYet = (serverId: string) =>
  new InvalidArgument({ message: `${serverId} is an AWS IAM Identity Center server, which this build cannot log in to yet` })

export const OAuthLive = Layer.effect(
  OAuth,
  Effect.gen(function*() {
    const context = yield* Effect.context<HttpClient.HttpClient>()
    return {
      start: (server, grantType) =>
        server._tag === "MairuApi"
          ? mairuApiStartLogin(server, server.oauth, grantType).pipe(Effect.provide(context))
          : Effect.fail(awsSsoNotYet(server.id)),
      refresh: (server, refreshToken) =>
        server._tag === "MairuApi"
          ? refreshTokens(server, server.oauth, refreshToken).pipe(Effect.provide(context))
          : Effect.fail(awsSsoNotYet(server.id))
    }
  })
)
