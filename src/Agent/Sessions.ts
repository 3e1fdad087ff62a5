import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type AgentError, Unauthenticated } from "../Schemas/AgentErrors.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import { CredentialCache } from "../Services/CredentialCache.js"
import { OAuth, refreshDueAt } from "../Services/OAuth.js"
import { type Session, SessionStore, serverKey, type Tokens } from "../Services/SessionStore.js"
import { makeSingleFlight } from "./SingleFlight.js"

const notLoggedIn = (server: ServerConfig, why: string) =>
  new Unauthenticated({ serverId: server.id, message: why })

/** The agent's view of sessions: valid tokens on demand, refreshed when close to expiry. */
export const makeSessions = Effect.gen(function*() {
  const store = yield* SessionStore
  const cache = yield* CredentialCache
  const oauth = yield* OAuth
  const refreshFlight = makeSingleFlight<Session, AgentError>(yield* Effect.scope)

  /** New tokens replace the session and clear the server's cached credentials. */
  const establish = (server: ServerConfig, tokens: Tokens) =>
    cache.clearServer(server).pipe(Effect.zipRight(store.put(server, tokens)))

  /** Forgets a session the server no longer accepts, unless a newer one replaced it meanwhile. */
  const invalidate = (session: Session) =>
    store.get(session.server).pipe(
      Effect.flatMap(Option.match({
        onNone: () => Effect.void,
        onSome: (current) =>
          current.accessToken === session.accessToken
            ? store.remove(session.server).pipe(Effect.zipRight(cache.clearServer(session.server)))
            : Effect.void
      }))
    )

  const refresh = (session: Session) =>
    refreshFlight(
      serverKey(session.server),
      Effect.suspend(() => {
        if (session.refreshToken === undefined) {
          return Effect.fail(notLoggedIn(session.server, `the session with ${session.server.id} cannot be refreshed`))
        }
        return oauth.refresh(session.server, session.refreshToken).pipe(
          Effect.tapErrorTag("Unauthenticated", () => invalidate(session)),
          Effect.flatMap((tokens) => establish(session.server, tokens))
        )
      })
    )

  /** A session whose access token is usable now, refreshing it first when it is about to expire. */
  const active = (server: ServerConfig) =>
    Effect.gen(function*() {
      const found = yield* store.get(server)
      if (Option.isNone(found)) return yield* notLoggedIn(server, `not logged in to ${server.id}`)
      const session = found.value
      const now = yield* Clock.currentTimeMillis
      const left = session.expiresAt.getTime() - now
      if (now < refreshDueAt(session)) return session
      if (session.refreshToken !== undefined) {
        const refreshed = yield* refresh(session).pipe(Effect.either)
        if (refreshed._tag === "Right") return refreshed.right
        if (refreshed.left._tag === "Unauthenticated" || left <= 0) return yield* Effect.fail(refreshed.left)
        return session
      }
      if (left > 0) return session
      yield* invalidate(session)
      return yield* notLoggedIn(server, `the session with ${server.id} has expired`)
    })

  return { active, establish, invalidate, refresh }
})

export type Sessions = Effect.Effect.Success<typeof makeSessions>
