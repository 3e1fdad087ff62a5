import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { awsSsoAssumeRole, awsSsoListRoles } from "../Aws/SsoBackend.js"
import { mairuApiAssumeRole, mairuApiListRoles } from "../MairuApi/Backend.js"
import { CredentialBackend } from "../Services/CredentialBackend.js"

/** Chooses the backend by the server's kind. */
export const CredentialBackendLive = Layer.effect(
  CredentialBackend,
  Effect.gen(function*() {
    const context = yield* Effect.context<HttpClient.HttpClient>()
    return {
      assumeRole: (server, accessToken, role) =>
        server._tag === "MairuApi"
          ? mairuApiAssumeRole(server, accessToken, role).pipe(Effect.provide(context))
          : awsSsoAssumeRole(server, accessToken, role),
      listRoles: (server, accessToken) =>
        server._tag === "MairuApi"
          ? mairuApiListRoles(server, accessToken).pipe(Effect.provide(context))
          : awsSsoListRoles(server, accessToken)
    }
  })
)
