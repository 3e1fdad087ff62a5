import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { randomToken } from "../../RandomToken.js"
import { type AgentError, NotFound, Unauthenticated } from "../../Schemas/AgentErrors.js"
import type { GrantType, ServerConfig } from "../../Schemas/ServerConfig.js"
import type { LoginChallenge, SessionInfo } from "../../Schemas/Session.js"
import { Logins, type LoginsShape } from "../Services/Logins.js"
import { LOGIN_TIMEOUT, OAuth } from "../Services/OAuth.js"
import { Sessions, type SessionsShape } from "../Services/Sessions.js"
import { serverKey, sessionInfo } from "../Services/SessionStore.js"

interface PendingLogin {
  readonly started: Deferred.Deferred<LoginChallenge, AgentError>
  readonly finished: Deferred.Deferred<SessionInfo, AgentError>
  /** Clients waiting in CompleteLogin now. */
  waiters: number
  /** Since when no client waits (ms), while `waiters` is 0. */
  idleSince: number
}

/** A finished login stays joinable this long, so that every waiting client learns how it ended. */
const FINISHED_GRACE = "1 minute"

/**
 * A login that no client waits for (its client was interrupted) is cancelled after
 * this long, checked every second: so within 10 s, and its callback server closes.
 * The client asks to complete the login right after it showed the URL.
 */
const UNWATCHED_MS = 8_000
const WATCH_EVERY = "1 second"

const makeLogins = (sessions: SessionsShape) =>
  Effect.gen(function*() {
    const oauth = yield* OAuth
    const agentScope = yield* Effect.scope
    const byServer = new Map<string, PendingLogin>()
    const byHandle = new Map<string, PendingLogin>()

    const run = (server: ServerConfig, grantType: GrantType | undefined, pending: PendingLogin) =>
      Effect.gen(function*() {
        const key = serverKey(server)
        const handle = randomToken(16)
        const scope = yield* Scope.make()
        const cleanUp = Effect.gen(function*() {
          if (byServer.get(key) === pending) byServer.delete(key)
          yield* Scope.close(scope, Exit.void)
          yield* Effect.sleep(FINISHED_GRACE)
          byHandle.delete(handle)
        })
        const grant = yield* oauth.start(server, grantType).pipe(Scope.extend(scope), Effect.exit)
        if (Exit.isFailure(grant)) {
          yield* Deferred.failCause(pending.started, grant.cause)
          yield* Deferred.failCause(pending.finished, grant.cause)
          return yield* cleanUp
        }
        byHandle.set(handle, pending)
        yield* Deferred.succeed(pending.started, { ...grant.value.challenge, handle })
        pending.idleSince = Date.now()
        const unwatched = Effect.gen(function*() {
          while (true) {
            yield* Effect.sleep(WATCH_EVERY)
            if (pending.waiters === 0 && Date.now() - pending.idleSince >= UNWATCHED_MS) {
              const message = `the login to ${server.id} was cancelled: no client waits for it any more`
              yield* Effect.logInfo(message)
              return yield* new Unauthenticated({ serverId: server.id, message })
            }
          }
        })
        const result = yield* Effect.raceFirst(grant.value.tokens, unwatched).pipe(
          Effect.timeoutFail({
            duration: LOGIN_TIMEOUT,
            onTimeout: () =>
              new Unauthenticated({
                serverId: server.id,
                message: `nobody finished the login to ${server.id} within ${LOGIN_TIMEOUT}`
              })
          }),
          Effect.flatMap((tokens) => sessions.establish(server, tokens)),
          Effect.map(sessionInfo),
          Effect.exit
        )
        yield* Effect.logInfo(
          Exit.isSuccess(result) ? `logged in to ${server.id}` : `the login to ${server.id} did not complete`
        )
        yield* Deferred.done(pending.finished, result)
        yield* cleanUp
      })

    const start = (server: ServerConfig, grantType: GrantType | undefined) =>
      Effect.suspend(() => {
        const existing = byServer.get(serverKey(server))
        if (existing !== undefined) {
          return Deferred.await(existing.started).pipe(Effect.map((challenge) => ({ challenge, joined: true })))
        }
        const pending: PendingLogin = {
          started: Deferred.unsafeMake(FiberId.none),
          finished: Deferred.unsafeMake(FiberId.none),
          waiters: 0,
          idleSince: Date.now()
        }
        byServer.set(serverKey(server), pending)
        return run(server, grantType, pending).pipe(
          Effect.forkIn(agentScope),
          Effect.zipRight(Deferred.await(pending.started)),
          Effect.map((challenge) => ({ challenge, joined: false }))
        )
      })

    const complete = (handle: string) =>
      Effect.suspend(() => {
        const pending = byHandle.get(handle)
        if (pending === undefined) {
          return Effect.fail(
            new NotFound({ message: "no login with that handle is in progress (it ended or expired)" })
          )
        }
        return Effect.acquireUseRelease(
          Effect.sync(() => void pending.waiters++),
          () => Deferred.await(pending.finished),
          () =>
            Effect.sync(() => {
              if (--pending.waiters === 0) pending.idleSince = Date.now()
            })
        )
      })

    return { start, complete } satisfies LoginsShape
  })

export const LoginsLive = Layer.scoped(Logins, Effect.flatMap(Sessions, makeLogins))
