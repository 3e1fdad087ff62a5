import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { KnownSecretsLive } from "../../../src/Agent/Layers/KnownSecretsLive.js"
import { SessionsLive } from "../../../src/Agent/Layers/SessionsLive.js"
import { SessionStoreLive } from "../../../src/Agent/Layers/SessionStoreLive.js"
import { CredentialCache } from "../../../src/Agent/Services/CredentialCache.js"
import { OAuth, type OAuthCall } from "../../../src/Agent/Services/OAuth.js"
import { Sessions } from "../../../src/Agent/Services/Sessions.js"
import { SessionStore, type Tokens } from "../../../src/Agent/Services/SessionStore.js"
import { Unauthenticated, Unknown } from "../../../src/Schemas/AgentErrors.js"
import { mairuApiServer } from "../../support/servers.js"

const server = mairuApiServer("local")
const MINUTE = 60_000
const HOUR = 60 * MINUTE

const tokens = (issuedAt: number, lifetimeMs: number): Tokens => ({
  accessToken: Redacted.make("seeded-access"),
  issuedAt: new Date(issuedAt),
  expiresAt: new Date(issuedAt + lifetimeMs),
  refreshToken: Redacted.make("seeded-refresh")
})

/** Sessions on a token server (options as OAuth.layerTest's), a cache that records what it forgets, and `store`. */
const sessionsOn = (
  oauth: Parameters<typeof OAuth.layerTest>[0] = {},
  store: Layer.Layer<SessionStore> = SessionStoreLive
) => {
  const calls: Array<OAuthCall> = []
  const cleared: Array<string> = []
  const layer = SessionsLive.pipe(
    Layer.provideMerge(store),
    Layer.provide(
      Layer.mergeAll(OAuth.layerTest({ ...oauth, calls }), CredentialCache.layerTest({ cleared }), KnownSecretsLive)
    )
  )
  return { layer, cleared, refreshes: () => calls.filter((call) => call.kind === "refresh").map((call) => call.at) }
}

describe("Sessions", () => {
  it.scoped("refresh a session due for refresh before using it: half-way through a short life", () => {
    // Logged in before: access tokens that live 2 s.
    const sim = sessionsOn({ tokenLifetime: "2 seconds" }, SessionStore.layerTest([[server, tokens(0, 2_000)]]))
    return Effect.gen(function*() {
      const sessions = yield* Sessions
      yield* TestClock.adjust("999 millis")
      expect(Redacted.value((yield* sessions.active(server)).accessToken)).toBe("seeded-access")
      expect(sim.refreshes()).toEqual([])
      yield* TestClock.adjust("201 millis")
      const refreshed = yield* sessions.active(server)
      expect(Redacted.value(refreshed.accessToken)).toBe("access-1")
      expect(sim.refreshes()).toEqual([1_200])
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("keep a session fresh by themselves, 5 minutes before it expires", () => {
    const sim = sessionsOn()
    return Effect.gen(function*() {
      const sessions = yield* Sessions
      yield* sessions.establish(server, tokens(0, HOUR))
      yield* TestClock.adjust(55 * MINUTE - 1)
      expect(sim.refreshes()).toEqual([])
      yield* TestClock.adjust(1)
      expect(sim.refreshes()).toEqual([55 * MINUTE])
      // The refreshed session is kept fresh in turn.
      yield* TestClock.adjust(55 * MINUTE)
      expect(sim.refreshes()).toEqual([55 * MINUTE, 110 * MINUTE])
      const store = yield* SessionStore
      expect(Option.map(yield* store.get(server), (session) => Redacted.value(session.accessToken))).toEqual(
        Option.some("access-2")
      )
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("retry a failing refresh with backoff until the token expires, then stop", () => {
    const sim = sessionsOn({ refreshing: Effect.fail(new Unknown({ message: "server error" })) })
    return Effect.gen(function*() {
      const sessions = yield* Sessions
      yield* sessions.establish(server, tokens(0, HOUR))
      for (let minute = 0; minute < 3 * 60; minute++) yield* TestClock.adjust("1 minute")
      const attempts = sim.refreshes()
      expect(attempts.length).toBeGreaterThan(3)
      expect(attempts[0]).toBe(55 * MINUTE)
      // The last retry is decided before the token expires, so it comes at most one step (2 minutes) after.
      expect(Math.max(...attempts)).toBeLessThan(HOUR + 2 * MINUTE)
      expect(attempts.filter((at) => at > HOUR)).toHaveLength(attempts.at(-1)! > HOUR ? 1 : 0)
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("clear the server's cached credentials for a login's tokens, not for a refresh", () => {
    const sim = sessionsOn()
    return Effect.gen(function*() {
      const sessions = yield* Sessions
      const session = yield* sessions.establish(server, tokens(0, HOUR))
      expect(sim.cleared).toEqual(["local"])
      yield* sessions.refresh(session)
      expect(sim.cleared).toEqual(["local"])
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("end a session whose refresh the server refuses, and tell who watches it", () => {
    const refused = new Unauthenticated({ serverId: "local", message: "the server refused to refresh" })
    const sim = sessionsOn({ refreshing: Effect.fail(refused) })
    return Effect.gen(function*() {
      const sessions = yield* Sessions
      const session = yield* sessions.establish(server, tokens(0, HOUR))
      const watching = yield* Effect.fork(sessions.watch(server))
      yield* Effect.yieldNow()
      expect(yield* Effect.flip(sessions.refresh(session))).toEqual(refused)
      expect(yield* Effect.flip(Fiber.join(watching))).toMatchObject({
        _tag: "Unauthenticated",
        message: "the session with local has ended"
      })
      expect(yield* Effect.flip(sessions.active(server))).toMatchObject({ message: "not logged in to local" })
      expect(sim.cleared).toEqual(["local", "local"])
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("log out: revoke the refresh token, forget the session and its credentials, tell who watches", () => {
    const sim = sessionsOn({ revocation: Effect.succeed("revoked") })
    return Effect.gen(function*() {
      const sessions = yield* Sessions
      yield* sessions.establish(server, tokens(0, HOUR))
      const watching = yield* Effect.fork(sessions.watch(server))
      yield* Effect.yieldNow()
      expect(yield* sessions.logout(server)).toEqual({
        serverId: "local",
        hadSession: true,
        revocation: "revoked",
        detail: undefined
      })
      expect(yield* Effect.flip(Fiber.join(watching))).toMatchObject({
        message: "the session with local was ended by mairu logout"
      })
      expect(yield* Effect.flip(sessions.watch(server))).toMatchObject({ message: "not logged in to local" })
      expect(sim.cleared).toEqual(["local", "local"])
      expect((yield* sessions.logout(server)).hadSession).toBe(false)
    }).pipe(Effect.provide(sim.layer))
  })
})
