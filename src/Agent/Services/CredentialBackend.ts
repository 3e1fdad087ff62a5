import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
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

export class CredentialBackend extends Context.Tag("mairu/CredentialBackend")<
  CredentialBackend,
  CredentialBackendShape
>() {}

/** Every call to a credential or token server gives up after this long. */
export const UPSTREAM_TIMEOUT = "15 seconds"
