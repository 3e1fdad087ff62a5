import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"

export type SsoGrant = "code" | "device"

/** An OAuth client registered with sso-oidc:RegisterClient. */
export interface SsoRegistration {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly expiresAt: Date
}

/**
 * The OAuth client registrations of AWS SSO servers, one per server and grant type,
 * kept in `{state}/cache` (mode 0600; client id and secret only, never a user token).
 */
export interface SsoRegistrationsShape {
  /** The kept registration, or a new one when it is missing or about to expire. */
  readonly obtain: (server: ServerConfig, grant: SsoGrant) => Effect.Effect<SsoRegistration, AgentError>
  /** The kept registration only, if it is valid now (refreshing needs the very client that got the token). */
  readonly existing: (server: ServerConfig, grant: SsoGrant) => Effect.Effect<SsoRegistration | undefined>
}

export class SsoRegistrations
  extends Context.Tag("mairu/SsoRegistrations")<SsoRegistrations, SsoRegistrationsShape>()
{}
