import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { LoginsLive } from "../../../src/Agent/Layers/LoginsLive.js"
import { Logins } from "../../../src/Agent/Services/Logins.js"
import { OAuth, type OAuthCall } from "../../../src/Agent/Services/OAuth.js"
import { Sessions } from "../../../src/Agent/Services/Sessions.js"
import { mairuApiServer } from "../../support/servers.js"

const server = mairuApiServer("local")
const cancelled = "the login to local was cancelled: no client waits for it any more"

/** Logins on a token server whose user approves when `approved` completes, and on test sessions. */
const withLogins = <A, E>(
  use: (approve: Effect.Effect<void>, calls: Array<OAuthCall>) => Effect.Effect<A, E, Logins | Sessions>
) =>
  Effect.gen(function*() {
    const approved = yield* Deferred.make<void>()
    const calls: Array<OAuthCall> = []
    return yield* use(Deferred.succeed(approved, undefined).pipe(Effect.asVoid), calls).pipe(
      Effect.provide(
        LoginsLive.pipe(
          Layer.provideMerge(Sessions.layerTest()),
          Layer.provide(OAuth.layerTest({ approval: Deferred.await(approved), calls }))
        )
      )
    )
  })

const kinds = (calls: ReadonlyArray<OAuthCall>) => calls.map((call) => call.kind)

describe("Logins", () => {
  it.scoped("cancel a login that no client waits for within 10 s, and let its callback go", () =>
    withLogins((_approve, calls) =>
      Effect.gen(function*() {
        const logins = yield* Logins
        const { challenge, joined } = yield* logins.start(server, undefined)
        expect(joined).toBe(false)
        // The client waits, then is interrupted (its connection closed).
        const waiting = yield* Effect.fork(logins.complete(challenge.handle))
        yield* TestClock.adjust("1 minute")
        expect(kinds(calls)).toEqual(["start"])
        yield* Fiber.interrupt(waiting)
        // Another client comes back in time: the countdown stops.
        yield* TestClock.adjust("7 seconds")
        const back = yield* Effect.fork(logins.complete(challenge.handle))
        yield* TestClock.adjust("1 minute")
        expect(kinds(calls)).toEqual(["start"])
        yield* Fiber.interrupt(back)
        yield* TestClock.adjust("7999 millis")
        expect(kinds(calls)).toEqual(["start"])
        yield* TestClock.adjust("2 seconds")
        // Cancelled, and its resources (the loopback callback server) let go.
        expect(kinds(calls)).toEqual(["start", "released"])
        const late = yield* Effect.flip(logins.complete(challenge.handle))
        expect(late).toMatchObject({ _tag: "Unauthenticated", serverId: "local", message: cancelled })
        // A new login starts afresh instead of joining the dead one.
        const next = yield* logins.start(server, undefined)
        expect(next.joined).toBe(false)
        expect(next.challenge.handle).not.toBe(challenge.handle)
        expect(kinds(calls)).toEqual(["start", "released", "start"])
      })
    ))

  it.scoped("cancel a login whose challenge no client ever waited for", () =>
    withLogins((_approve, calls) =>
      Effect.gen(function*() {
        const logins = yield* Logins
        const { challenge } = yield* logins.start(server, undefined)
        yield* TestClock.adjust("10 seconds")
        expect(kinds(calls)).toEqual(["start", "released"])
        expect(yield* Effect.flip(logins.complete(challenge.handle))).toMatchObject({ message: cancelled })
      })
    ))

  it.scoped("keep a login while a client waits; a second client joins it, and both learn it completed", () =>
    withLogins((approve, calls) =>
      Effect.gen(function*() {
        const logins = yield* Logins
        const first = yield* logins.start(server, undefined)
        const firstWaits = yield* Effect.fork(logins.complete(first.challenge.handle))
        yield* TestClock.adjust("5 minutes")
        const second = yield* logins.start(server, undefined)
        expect(second).toEqual({ challenge: first.challenge, joined: true })
        const secondWaits = yield* Effect.fork(logins.complete(second.challenge.handle))
        // One client goes away: the other still waits, so the login goes on.
        yield* Fiber.interrupt(firstWaits)
        yield* TestClock.adjust("1 minute")
        expect(kinds(calls)).toEqual(["start"])
        yield* approve
        const info = yield* Fiber.join(secondWaits)
        expect(info.serverId).toBe("local")
        expect(kinds(calls)).toEqual(["start", "released"])
        // The session holds the login's tokens.
        const session = yield* Effect.flatMap(Sessions, (sessions) => sessions.active(server))
        expect(Redacted.value(session.accessToken)).toBe("access-1")
        // A finished login stays joinable for a minute, then is forgotten.
        expect((yield* logins.complete(first.challenge.handle)).serverId).toBe("local")
        yield* TestClock.adjust("1 minute")
        expect(yield* Effect.flip(logins.complete(first.challenge.handle))).toMatchObject({ _tag: "NotFound" })
      })
    ))

  it.scoped("abandon a login that nobody finishes within 10 minutes", () =>
    withLogins((_approve, calls) =>
      Effect.gen(function*() {
        const logins = yield* Logins
        const { challenge } = yield* logins.start(server, undefined)
        const waiting = yield* Effect.fork(logins.complete(challenge.handle))
        yield* TestClock.adjust("9 minutes")
        expect(kinds(calls)).toEqual(["start"])
        yield* TestClock.adjust("1 minute")
        expect(yield* Effect.flip(Fiber.join(waiting))).toMatchObject({
          _tag: "Unauthenticated",
          message: "nobody finished the login to local within 10 minutes"
        })
        expect(kinds(calls)).toEqual(["start", "released"])
      })
    ))

  it.scoped("refuse to complete a login they do not hold", () =>
    withLogins(() =>
      Effect.gen(function*() {
        const logins = yield* Logins
        expect(yield* Effect.flip(logins.complete("no-such-handle"))).toMatchObject({
          _tag: "NotFound",
          message: "no login with that handle is in progress (it ended or expired)"
        })
      })
    ))
})
