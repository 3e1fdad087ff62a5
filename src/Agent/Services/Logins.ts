import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type AgentError, NotFound } from "../../Schemas/AgentErrors.js"
import type { GrantType, ServerConfig } from "../../Schemas/ServerConfig.js"
import type { LoginChallenge, SessionInfo } from "../../Schemas/Session.js"

/**
 * Logins held by the agent: at most one pending login per server. A second
 * client that asks joins it (same URL or code) instead of opening another.
 */
export interface LoginsShape {
  /** Starts a login to `server`, or joins the one under way (`joined`). */
  readonly start: (
    server: ServerConfig,
    grantType: GrantType | undefined
  ) => Effect.Effect<{ readonly challenge: LoginChallenge; readonly joined: boolean }, AgentError>
  /** Waits for the login of `handle` to finish; a login that no client waits for is cancelled. */
  readonly complete: (handle: string) => Effect.Effect<SessionInfo, AgentError>
}

export class Logins extends Context.Tag("mairu/Logins")<Logins, LoginsShape>() {
  /**
   * Logins for tests of what starts them: a device-grant login (code `CODE`, handle
   * `login-ID`) that a later start joins, and that completes at once with a session
   * an hour long.
   */
  static Test = Layer.sync(Logins, () => {
    const started = new Map<string, ServerConfig>()
    return {
      start: (server) =>
        Effect.gen(function*() {
          const handle = `login-${server.id}`
          const joined = started.has(handle)
          started.set(handle, server)
          const now = yield* Clock.currentTimeMillis
          const challenge: LoginChallenge = {
            _tag: "DeviceGrant",
            handle,
            userCode: "CODE",
            verificationUri: new URL("device", server.url).toString(),
            verificationUriComplete: undefined,
            expiresAt: new Date(now + 10 * 60 * 1000)
          }
          return { challenge, joined }
        }),
      complete: (handle) =>
        Effect.gen(function*() {
          const server = started.get(handle)
          if (server === undefined) return yield* new NotFound({ message: "no login with that handle is in progress" })
          started.delete(handle)
          const now = yield* Clock.currentTimeMillis
          return {
            id: 0,
            serverId: server.id,
            serverUrl: server.url,
            expiresAt: new Date(now + 60 * 60 * 1000),
            renewsAt: undefined
          }
        })
    }
  })
}
