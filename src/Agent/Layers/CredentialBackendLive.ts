import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { AwsCredentials } from "../../Schemas/Credentials.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { awsSsoAssumeRole, awsSsoListRoles } from "../Aws/SsoBackend.js"
import { mairuApiAssumeRole, mairuApiListRoles } from "../MairuApi/Backend.js"
import { credentialSecrets } from "../ScrubErrors.js"
import { CredentialBackend } from "../Services/CredentialBackend.js"
import { KnownSecrets } from "../Services/KnownSecrets.js"

/**
 * Chooses the backend by the server's kind. The keys it issues become known secrets of
 * the server's session, and its failures leave with every known secret removed.
 */
export const CredentialBackendLive = Layer.effect(
  CredentialBackend,
  Effect.gen(function*() {
    const context = yield* Effect.context<HttpClient.HttpClient | KnownSecrets>()
    const known = yield* KnownSecrets
    const assumeRole = (
      server: ServerConfig,
      accessToken: Redacted.Redacted<string>,
      role: string
    ): Effect.Effect<AwsCredentials, AgentError> =>
      server._tag === "MairuApi"
        ? mairuApiAssumeRole(server, accessToken, role).pipe(Effect.provide(context))
        : awsSsoAssumeRole(server, accessToken, role)
    const listRoles = (server: ServerConfig, accessToken: Redacted.Redacted<string>) =>
      server._tag === "MairuApi"
        ? mairuApiListRoles(server, accessToken).pipe(Effect.provide(context))
        : awsSsoListRoles(server, accessToken)
    return {
      assumeRole: (server, accessToken, role) =>
        assumeRole(server, accessToken, role).pipe(
          Effect.tap((credentials) => known.remember(server, credentialSecrets(credentials))),
          known.scrubbing(server)
        ),
      listRoles: (server, accessToken) => listRoles(server, accessToken).pipe(known.scrubbing(server))
    }
  })
)
