import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import { renewalRetries } from "../../RenewalSchedule.js"
import { type AgentError, Unauthenticated } from "../../Schemas/AgentErrors.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { expiredTokensNotice, makeRefreshPace } from "../RefreshPace.js"
import { CredentialCache } from "../Services/CredentialCache.js"
import { KnownSecrets } from "../Services/KnownSecrets.js"
import { OAuth } from "../Services/OAuth.js"
import { type LogoutResult, Sessions, type SessionsShape } from "../Services/Sessions.js"
import { refreshDueAt, serverKey, type Session, SessionStore, type Tokens } from "../Services/SessionStore.js"
import { makeSingleFlight } from "../SingleFlight.js"

const notLoggedIn = (server: ServerConfig, why: string) => new Unauthenticated({ serverId: server.id, message: why })

/** Sessions over the session store, each kept fresh by a scoped fiber that refreshes it shortly before it expires. */
const makeSessions = Effect.gen(function*() {
  const store = yield* SessionStore
  const cache = yield* CredentialCache
  const oauth = yield* OAuth
  const known = yield* KnownSecrets
  const scope = yield* Effect.scope
  const refreshFlight = makeSingleFlight<Session, AgentError>(scope)
  const pace = makeRefreshPace()
  /** Sessions that ended (by logout, or refused by their server), for the clients that watch them. */
  const endings = yield* PubSub.unbounded<{ readonly key: string; readonly error: Unauthenticated }>()

  const ended = (server: ServerConfig, error: Unauthenticated) =>
    PubSub.publish(endings, { key: serverKey(server), error }).pipe(Effect.asVoid)

  const isCurrent = (session: Session) =>
    store.get(session.server).pipe(
      Effect.map((found) => Option.isSome(found) && found.value.accessToken === session.accessToken)
    )

  /**
   * Refreshes a session when it is due, retrying with backoff until its token
   * expires; it ends when the session is replaced (the new one has its own) or ended.
   */
  const keepFresh = (session: Session) =>
    Effect.gen(function*() {
      if (session.refreshToken === undefined) return
      const dueAt = Math.max(refreshDueAt(session), pace.notBefore(serverKey(session.server)))
      const wait = dueAt - (yield* Clock.currentTimeMillis)
      if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
      yield* Effect.whenEffect(refresh(session), isCurrent(session)).pipe(
        Effect.retry({
          schedule: renewalRetries,
          while: (error) =>
            error._tag !== "Unauthenticated" &&
            Effect.map(Clock.currentTimeMillis, (now) => now < session.expiresAt.getTime()).pipe(
              Effect.tap((retrying) =>
                retrying
                  ? Effect.logDebug(`refreshing the session with ${session.server.id} failed (${error._tag}); retrying`)
                  : Effect.void
              )
            )
        }),
        Effect.ignore
      )
    })

  /** Stores tokens as the server's session and keeps them fresh. */
  const saveSession = (server: ServerConfig, tokens: Tokens): Effect.Effect<Session> =>
    Effect.gen(function*() {
      yield* known.remember(server, [tokens.accessToken, tokens.refreshToken])
      if (pace.received(serverKey(server), tokens.expiresAt.getTime(), yield* Clock.currentTimeMillis) === "expired") {
        yield* Effect.logWarning(expiredTokensNotice(server.id))
      }
      const session = yield* store.put(server, tokens)
      yield* Effect.forkIn(keepFresh(session), scope)
      return session
    })

  /**
   * A login's tokens replace the session and clear the server's cached credentials
   * (they may belong to another identity). A refresh of the same session keeps
   * them, so that requests go on being answered from memory.
   */
  const establish = (server: ServerConfig, tokens: Tokens): Effect.Effect<Session> =>
    cache.clearServer(server).pipe(Effect.zipRight(saveSession(server, tokens)))

  /** Forgets a session the server no longer accepts, unless a newer one replaced it meanwhile. */
  const invalidate = (session: Session) =>
    store.get(session.server).pipe(
      Effect.flatMap(Option.match({
        onNone: () => Effect.void,
        onSome: (current) =>
          current.accessToken === session.accessToken
            ? store.remove(session.server).pipe(
              Effect.zipRight(cache.clearServer(session.server)),
              Effect.zipRight(
                ended(session.server, notLoggedIn(session.server, `the session with ${session.server.id} has ended`))
              )
            )
            : Effect.void
      }))
    )

  const refresh = (session: Session): Effect.Effect<Session, AgentError> =>
    refreshFlight.run(
      serverKey(session.server),
      Effect.suspend(() => {
        if (session.refreshToken === undefined) {
          return Effect.fail(notLoggedIn(session.server, `the session with ${session.server.id} cannot be refreshed`))
        }
        return oauth.refresh(session.server, session.refreshToken).pipe(
          known.scrubbing(session.server),
          Effect.tapErrorTag("Unauthenticated", (error) =>
            Effect.logInfo(`the session with ${session.server.id} ended: ${error.message}`).pipe(
              Effect.zipRight(invalidate(session))
            )),
          Effect.tap(() =>
            Effect.logDebug(`refreshed the session with ${session.server.id}`)
          ),
          Effect.flatMap((tokens) => saveSession(session.server, tokens))
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
      // Refreshed a moment ago: the server will say whether these tokens still work.
      if (session.refreshToken !== undefined && now < pace.notBefore(serverKey(server))) return session
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

  /**
   * Forgets the server's session and cached credentials, revoking the refresh token
   * first where the server supports it; a failed revocation still forgets them.
   */
  const logout = (server: ServerConfig) =>
    Effect.gen(function*() {
      const found = yield* store.get(server)
      let revocation: LogoutResult["revocation"] = "none"
      let detail: string | undefined
      if (Option.isSome(found)) {
        const refreshToken = found.value.refreshToken
        if (refreshToken === undefined) revocation = "no-refresh-token"
        else {
          const revoked = yield* Effect.either(oauth.revoke(server, refreshToken).pipe(known.scrubbing(server)))
          if (revoked._tag === "Right") revocation = revoked.right
          else {
            revocation = "failed"
            detail = revoked.left.message
          }
        }
        yield* store.remove(server)
        yield* known.forget(server)
      }
      yield* cache.clearServer(server)
      if (Option.isSome(found)) {
        yield* Effect.logInfo(`logged out of ${server.id} (revocation: ${revocation})`)
        yield* ended(server, notLoggedIn(server, `the session with ${server.id} was ended by mairu logout`))
      }
      return { serverId: server.id, hadSession: Option.isSome(found), revocation, detail }
    })

  /** Fails with the Unauthenticated error once the server's session ends; at once when there is none. */
  const watch = (server: ServerConfig): Effect.Effect<never, AgentError> =>
    Effect.scoped(Effect.gen(function*() {
      const subscription = yield* PubSub.subscribe(endings)
      if (Option.isNone(yield* store.get(server))) return yield* notLoggedIn(server, `not logged in to ${server.id}`)
      const key = serverKey(server)
      while (true) {
        const ending = yield* subscription.take
        if (ending.key === key) return yield* Effect.fail(ending.error)
      }
    }))

  return { active, establish, invalidate, refresh, logout, watch } satisfies SessionsShape
})

export const SessionsLive = Layer.scoped(Sessions, makeSessions)
