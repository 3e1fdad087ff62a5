import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { type AgentError, Unauthenticated } from "../../Schemas/AgentErrors.js"
import type { Logout } from "../../Schemas/AgentProtocol.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { serverKey, type Session, type Tokens } from "./SessionStore.js"

export type LogoutResult = typeof Logout.success.Type

/** The agent's view of sessions: valid tokens on demand, refreshed when close to expiry. */
export interface SessionsShape {
  /** A session whose access token is usable now, refreshing it first when it is about to expire. */
  readonly active: (server: ServerConfig) => Effect.Effect<Session, AgentError>
  /**
   * A login's tokens replace the session and clear the server's cached credentials
   * (they may belong to another identity).
   */
  readonly establish: (server: ServerConfig, tokens: Tokens) => Effect.Effect<Session>
  /** Forgets a session the server no longer accepts, unless a newer one replaced it meanwhile. */
  readonly invalidate: (session: Session) => Effect.Effect<void>
  /** Refreshes a session's tokens now (one refresh per server at a time); its cached credentials stay. */
  readonly refresh: (session: Session) => Effect.Effect<Session, AgentError>
  /**
   * Forgets the server's session and cached credentials, revoking the refresh token
   * first where the server supports it; a failed revocation still forgets them.
   */
  readonly logout: (server: ServerConfig) => Effect.Effect<LogoutResult>
  /** Fails with the Unauthenticated error once the server's session ends; at once when there is none. */
  readonly watch: (server: ServerConfig) => Effect.Effect<never, AgentError>
}

export class Sessions extends Context.Tag("mairu/Sessions")<Sessions, SessionsShape>() {
  /**
   * Sessions for tests of what uses them: every server is logged in (access token
   * `token-ID`, an hour long from when it is first asked for, no refresh token) until
   * its session is invalidated or logged out, which `ended` records; `establish`
   * replaces a session, `refresh` keeps it, and nothing ends a watched session.
   */
  static layerTest = (options: { readonly ended?: Array<Session> } = {}) =>
    Layer.sync(Sessions, () => {
      const sessions = new Map<string, Session>()
      const gone = new Set<string>()
      let nextId = 0
      const save = (server: ServerConfig, tokens: Tokens) =>
        Effect.sync(() => {
          const session: Session = { ...tokens, server, id: nextId++ }
          sessions.set(serverKey(server), session)
          gone.delete(serverKey(server))
          return session
        })
      const end = (server: ServerConfig) =>
        Effect.sync(() => {
          const session = sessions.get(serverKey(server))
          if (session !== undefined) options.ended?.push(session)
          sessions.delete(serverKey(server))
          gone.add(serverKey(server))
          return session !== undefined
        })
      return {
        active: (server) =>
          Effect.gen(function*() {
            const found = sessions.get(serverKey(server))
            if (found !== undefined) return found
            if (gone.has(serverKey(server))) {
              return yield* new Unauthenticated({ serverId: server.id, message: `not logged in to ${server.id}` })
            }
            const now = yield* Clock.currentTimeMillis
            return yield* save(server, {
              accessToken: Redacted.make(`token-${server.id}`),
              issuedAt: new Date(now),
              expiresAt: new Date(now + 60 * 60 * 1000),
              refreshToken: undefined
            })
          }),
        establish: save,
        invalidate: (session) =>
          Effect.suspend(() =>
            sessions.get(serverKey(session.server)) === session ? Effect.asVoid(end(session.server)) : Effect.void
          ),
        refresh: Effect.succeed,
        logout: (server) =>
          Effect.map(end(server), (hadSession) => ({
            serverId: server.id,
            hadSession,
            revocation: hadSession ? "no-refresh-token" as const : "none" as const,
            detail: undefined
          })),
        watch: () => Effect.never
      }
    })
}
