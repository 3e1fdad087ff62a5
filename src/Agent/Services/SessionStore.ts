import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import type { SessionInfo } from "../../Schemas/Session.js"

/** What a token endpoint hands out. */
export interface Tokens {
  readonly accessToken: Redacted.Redacted<string>
  readonly issuedAt: Date
  readonly expiresAt: Date
  readonly refreshToken: Redacted.Redacted<string> | undefined
}

/** A logged-in server, held only in the agent's memory. */
export interface Session extends Tokens {
  readonly id: number
  readonly server: ServerConfig
}

export interface SessionStoreShape {
  readonly get: (server: ServerConfig) => Effect.Effect<Option.Option<Session>>
  /** Stores new tokens for a server, replacing its session, and returns it. */
  readonly put: (server: ServerConfig, tokens: Tokens) => Effect.Effect<Session>
  readonly remove: (server: ServerConfig) => Effect.Effect<void>
  readonly list: Effect.Effect<ReadonlyArray<Session>>
}

export class SessionStore extends Context.Tag("mairu/SessionStore")<SessionStore, SessionStoreShape>() {
  /**
   * A store for tests that starts with a session for each of `seed`'s servers (ids
   * from 0, in order), as if logged in before the test began.
   */
  static layerTest = (seed: ReadonlyArray<readonly [ServerConfig, Tokens]> = []) =>
    Layer.sync(SessionStore, () => {
      let sessions: ReadonlyArray<Session> = seed.map(([server, tokens], id) => ({ ...tokens, server, id }))
      let nextId = sessions.length
      const find = (server: ServerConfig) => sessions.find((session) => serverKey(session.server) === serverKey(server))
      const without = (server: ServerConfig) => sessions.filter((session) => session !== find(server))
      return {
        get: (server) => Effect.sync(() => Option.fromNullable(find(server))),
        put: (server, tokens) =>
          Effect.sync(() => {
            const session: Session = { ...tokens, server, id: find(server)?.id ?? nextId++ }
            sessions = [...without(server), session]
            return session
          }),
        remove: (server) => Effect.sync(() => void (sessions = without(server))),
        list: Effect.sync(() => [...sessions].sort((a, b) => a.id - b.id))
      }
    })
}

/** A session is refreshed when it has less than this left. */
export const REFRESH_BEFORE_MS = 5 * 60 * 1000

/**
 * When to refresh tokens: 5 minutes before expiry, or half-way through a
 * lifetime shorter than 10 minutes, so that short-lived tokens are not refreshed on every use.
 */
export const refreshDueAt = (tokens: { readonly issuedAt: Date; readonly expiresAt: Date }): number => {
  const lifetime = tokens.expiresAt.getTime() - tokens.issuedAt.getTime()
  return tokens.expiresAt.getTime() - Math.min(REFRESH_BEFORE_MS, lifetime / 2)
}

export const serverKey = (server: ServerConfig): string => `${server.id}\u0000${server.url}`

export const sessionInfo = (session: Session): SessionInfo => ({
  id: session.id,
  serverId: session.server.id,
  serverUrl: session.server.url,
  expiresAt: session.expiresAt,
  renewsAt: session.refreshToken === undefined ? undefined : new Date(refreshDueAt(session))
})
