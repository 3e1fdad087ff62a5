import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { InvalidArgument } from "../Schemas/AgentErrors.js"
import { CredentialBackend } from "../Services/CredentialBackend.js"
import { mairuApiAssumeRole, mairuApiListRoles } from "./MairuApiBackend.js"

const awsSsoNotYet = (serverId: string) =>
  new InvalidArgument({ message: `${serverId} is an AWS IAM Identity Center server, which this build cannot use yet` })

/** Chooses the backend by the server's kind. */
export const CredentialBackendLive = Layer.effect(
  CredentialBackend,
  Effect.gen(function*() {
    const context = yield* Effect.context<HttpClient.HttpClient>()
    return {
      assumeRole: (server, accessToken, role) =>
        server._tag === "MairuApi"
          ? mairuApiAssumeRole(server, accessToken, role).pipe(Effect.provide(context))
          : Effect.fail(awsSsoNotYet(server.id)),
      listRoles: (server, accessToken) =>
        server._tag === "MairuApi"
          ? mairuApiListRoles(server, accessToken).pipe(Effect.provide(context))
          : Effect.fail(awsSsoNotYet(server.id))
    }
  })
)
