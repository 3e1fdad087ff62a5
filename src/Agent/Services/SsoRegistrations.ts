import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { serverKey } from "./SessionStore.js"

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

export class SsoRegistrations extends Context.Tag("mairu/SsoRegistrations")<SsoRegistrations, SsoRegistrationsShape>() {
  /**
   * Registrations for tests, kept in memory: `obtain` registers `client-ID-GRANT`
   * for 90 days from the clock's now the first time, and `existing` finds it.
   */
  static Test = Layer.sync(SsoRegistrations, () => {
    const kept = new Map<string, SsoRegistration>()
    const key = (server: ServerConfig, grant: SsoGrant) => `${serverKey(server)}\u0000${grant}`
    return {
      existing: (server, grant) => Effect.sync(() => kept.get(key(server, grant))),
      obtain: (server, grant) =>
        Effect.gen(function*() {
          const found = kept.get(key(server, grant))
          if (found !== undefined) return found
          const now = yield* Clock.currentTimeMillis
          const registration: SsoRegistration = {
            clientId: `client-${server.id}-${grant}`,
            clientSecret: Redacted.make("client-secret"),
            expiresAt: new Date(now + 90 * 24 * 60 * 60 * 1000)
          }
          kept.set(key(server, grant), registration)
          return registration
        })
    }
  })
}
