import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
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
}

/** A login whose challenge went out: the clients that wait for it, and what happens when there are none. */
interface WaitedLogin {
  readonly finished: Deferred.Deferred<SessionInfo, AgentError>
  /** Clients waiting in CompleteLogin now. */
  waiters: number
  /** Stops the countdown: a client waits again. */
  readonly watched: Effect.Effect<void>
  /** Starts the countdown to the login's cancellation: no client waits any more. */
  readonly unwatched: Effect.Effect<void>
}

/** A finished login stays joinable this long, so that every waiting client learns how it ended. */
const FINISHED_GRACE = "1 minute"

/**
 * A login that no client waits for (its client was interrupted) is cancelled after
 * this long, so within 10 s, and its callback server closes. The client asks to
 * complete the login right after it showed the URL.
 */
const UNWATCHED = "8 seconds"

const makeLogins = (sessions: SessionsShape) =>
  Effect.gen(function*() {
    const oauth = yield* OAuth
    const agentScope = yield* Effect.scope
    const byServer = new Map<string, PendingLogin>()
    const byHandle = new Map<string, WaitedLogin>()

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
        const abandoned = yield* Deferred.make<void>()
        let countdown: Fiber.RuntimeFiber<boolean> | undefined
        const waited: WaitedLogin = {
          finished: pending.finished,
          waiters: 0,
          watched: Effect.suspend(() => countdown === undefined ? Effect.void : Fiber.interrupt(countdown)),
          // Interruptible even when started by a waiter's release, so that the next waiter can stop it.
          unwatched: Deferred.succeed(abandoned, undefined).pipe(
            Effect.delay(UNWATCHED),
            Effect.interruptible,
            Effect.forkIn(scope),
            Effect.map((fiber) => void (countdown = fiber))
          )
        }
        byHandle.set(handle, waited)
        // The countdown runs from the moment the challenge goes out until a client waits for the login.
        yield* waited.unwatched
        yield* Deferred.succeed(pending.started, { ...grant.value.challenge, handle })
        const cancelled = `the login to ${server.id} was cancelled: no client waits for it any more`
        const unwatched = Deferred.await(abandoned).pipe(
          Effect.zipRight(Effect.logInfo(cancelled)),
          Effect.zipRight(Effect.fail(new Unauthenticated({ serverId: server.id, message: cancelled })))
        )
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
          finished: Deferred.unsafeMake(FiberId.none)
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
        const waited = byHandle.get(handle)
        if (waited === undefined) {
          return Effect.fail(
            new NotFound({ message: "no login with that handle is in progress (it ended or expired)" })
          )
        }
        return Effect.acquireUseRelease(
          Effect.suspend(() => ++waited.waiters === 1 ? waited.watched : Effect.void),
          () => Deferred.await(waited.finished),
          () => Effect.suspend(() => --waited.waiters === 0 ? waited.unwatched : Effect.void)
        )
      })

    return { start, complete } satisfies LoginsShape
  })

export const LoginsLive = Layer.scoped(Logins, Effect.flatMap(Sessions, makeLogins))
