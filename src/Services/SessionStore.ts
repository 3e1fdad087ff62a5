import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import type { SessionInfo } from "../Schemas/Session.js"
import { refreshDueAt } from "./OAuth.js"

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

export class SessionStore extends Context.Tag("mairu/SessionStore")<SessionStore, SessionStoreShape>() {}

export const serverKey = (server: ServerConfig): string => `${server.id}\u0000${server.url}`

export const sessionInfo = (session: Session): SessionInfo => ({
  id: session.id,
  serverId: session.server.id,
  serverUrl: session.server.url,
  expiresAt: session.expiresAt,
  renewsAt: session.refreshToken === undefined ? undefined : new Date(refreshDueAt(session))
})
