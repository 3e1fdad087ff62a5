import { describe, expect, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as TestClock from "effect/TestClock"
import { type BackendCall, CredentialBackend } from "../../src/Agent/Services/CredentialBackend.js"
import { OAuth, type OAuthCall } from "../../src/Agent/Services/OAuth.js"
import { Unknown } from "../../src/Schemas/AgentErrors.js"
import { CompleteLogin, GetCredentials, StartLogin } from "../../src/Schemas/AgentProtocol.js"
import { agentHandle, agentServersDir, agentTestLayer, ask, localServer } from "../support/agent.js"

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** The agent's logic on a simulated server that records every call with the simulated time. */
const simulated = (
  options: {
    readonly backend?: Parameters<typeof CredentialBackend.layerTest>[0]
    readonly tokenLifetime?: Duration.DurationInput
    readonly env?: Record<string, string>
  } = {}
) => {
  const fetches: Array<BackendCall> = []
  const oauthCalls: Array<OAuthCall> = []
  const layer = agentTestLayer({
    backend: CredentialBackend.layerTest({ ...options.backend, calls: fetches }),
    oauth: OAuth.layerTest({
      calls: oauthCalls,
      ...(options.tokenLifetime === undefined ? {} : { tokenLifetime: options.tokenLifetime })
    }),
    ...(options.env === undefined ? {} : { env: options.env })
  })
  return { layer, fetches, refreshes: () => oauthCalls.filter((call) => call.kind === "refresh") }
}

/** The time between the login (at 0) and each refresh, and between refreshes. */
const gapsOf = (refreshes: ReadonlyArray<{ readonly at: number }>) =>
  refreshes.map(({ at }, i) => at - (i === 0 ? 0 : refreshes[i - 1]!.at))

/** The agent, logged in to `local` by a device grant approved at once. */
const agent = Effect.gen(function*() {
  const { handle } = yield* agentHandle(yield* agentServersDir)
  const { challenge } = yield* ask(
    handle,
    new StartLogin({ server: localServer.id, grantType: undefined, localPort: undefined })
  )
  yield* ask(handle, new CompleteLogin({ handle: challenge.handle }))
  const get = (role: string) =>
    ask(
      handle,
      new GetCredentials({
        server: localServer.id,
        role,
        assumeRole: undefined,
        noCache: false,
        via: "credential-process"
      })
    )
  return { get }
})

describe("the agent's refresh fibers over a simulated day", () => {
  it.scoped("renew tokens and used roles before their deadlines, and let idle roles go", () => {
    const sim = simulated()
    return Effect.gen(function*() {
      const { get } = yield* agent
      yield* get("used")
      yield* get("idle")
      for (let minute = 1; minute <= 24 * 60; minute++) {
        yield* TestClock.adjust("1 minute")
        if (minute % 30 === 0) {
          const before = sim.fetches.length
          yield* get("used")
          // Always answered from memory: the request itself never waits on the server.
          expect(sim.fetches.length).toBe(before)
        }
      }
      // Tokens: refreshed before each expiry, about every 55 minutes.
      expect(sim.refreshes().length).toBeGreaterThanOrEqual(24)
      let tokenExpiry = HOUR
      for (const { at } of sim.refreshes()) {
        expect(at).toBeLessThan(tokenExpiry)
        tokenExpiry = at + HOUR
      }
      // The used role: renewed before it would leave the cache (15 minutes before expiry).
      const used = sim.fetches.filter((f) => f.role === "used")
      expect(used.length).toBeGreaterThanOrEqual(30)
      for (let i = 1; i < used.length; i++) {
        expect(used[i]!.at).toBeLessThanOrEqual(used[i - 1]!.expiresAt! - 15 * MINUTE)
      }
      // The idle role: kept warm for the idle time (4 hours), then let go.
      const idle = sim.fetches.filter((f) => f.role === "idle")
      expect(idle.at(-1)!.at).toBeLessThanOrEqual(4 * HOUR + HOUR)
      expect(idle.length).toBeLessThanOrEqual(8)
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("back off from a failing server, growing and capped at 2 minutes", () => {
    // The role is answered once, then the server fails every renewal.
    const sim = simulated({
      backend: {
        refuse: (role, earlier) =>
          role === "flaky" && earlier.some((call) => call.role === role)
            ? new Unknown({ message: "server error" })
            : undefined
      }
    })
    return Effect.gen(function*() {
      const { get } = yield* agent
      yield* get("flaky")
      for (let second = 0; second < 2 * 3600; second += 5) {
        yield* TestClock.adjust("5 seconds")
        if (second % 1800 === 0) yield* Effect.either(get("flaky"))
      }
      const retries = sim.fetches.filter((f) => f.role === "flaky" && f.expiresAt === undefined).map((f) => f.at)
      const gaps = retries.slice(1).map((at, i) => at - retries[i]!)
      const scheduled = gaps.filter((gap) => gap <= 2 * MINUTE + 5_000)
      expect(scheduled.length).toBeGreaterThan(5)
      expect(Math.max(...scheduled)).toBeLessThanOrEqual(2 * MINUTE + 5_000)
      expect(scheduled.slice(0, 4).every((gap, i, all) => i === 0 || gap >= all[i - 1]! * 0.5)).toBe(true)
      expect(Math.max(...scheduled)).toBeGreaterThanOrEqual(MINUTE)
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("renew a used role before it leaves the cache, so that the next request is a cache hit", () => {
    // Credentials that live 20 minutes and 8 seconds: the agent renews them 20 minutes
    // before they expire (5 minutes before the cache's 15-minute window), i.e. after 8 s.
    const sim = simulated({ backend: { lifetime: 20 * MINUTE + 8_000 }, env: { MAIRU_AGENT_REFRESH_SPREAD: "0" } })
    return Effect.gen(function*() {
      const { get } = yield* agent
      const first = yield* get("Ahead")
      expect(sim.fetches.filter((f) => f.role === "Ahead")).toHaveLength(1)
      yield* TestClock.adjust("7999 millis")
      expect(sim.fetches.filter((f) => f.role === "Ahead")).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      expect(sim.fetches.filter((f) => f.role === "Ahead")).toHaveLength(2)
      const next = yield* get("Ahead")
      expect(next.accessKeyId).not.toBe(first.accessKeyId)
      expect(next.expiration!.getTime()).toBeGreaterThan(first.expiration!.getTime())
      expect(sim.fetches.filter((f) => f.role === "Ahead")).toHaveLength(2)
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("refresh a server that issues already expired tokens less and less often, and say so once", () => {
    const sim = simulated({ tokenLifetime: 0 })
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(String(message))
    })
    return Effect.gen(function*() {
      const { get } = yield* agent
      for (let second = 1; second <= 15 * 60; second++) {
        yield* TestClock.adjust("1 second")
        // Requests keep coming, each of which would refresh a session past its expiry.
        yield* get("used")
      }
      const gaps = gapsOf(sim.refreshes())
      expect(gaps.length).toBeGreaterThanOrEqual(3)
      expect(gaps.length).toBeLessThanOrEqual(10)
      expect(gaps[0]).toBe(10_000)
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!)
      expect(gaps.at(-1)).toBe(5 * MINUTE)
      expect(warnings.filter((warning) => warning.includes("issued tokens that had already expired"))).toHaveLength(1)
    }).pipe(Effect.provide(sim.layer), Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  })

  it.scoped("never refresh one session twice within a second, however short its tokens live", () => {
    const sim = simulated({ tokenLifetime: 10 })
    return Effect.gen(function*() {
      const { get } = yield* agent
      for (let tick = 1; tick <= 600; tick++) {
        yield* TestClock.adjust("100 millis")
        yield* get("used")
      }
      const gaps = gapsOf(sim.refreshes())
      expect(gaps.length).toBeGreaterThanOrEqual(30)
      expect(gaps.length).toBeLessThanOrEqual(60)
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000)
    }).pipe(Effect.provide(sim.layer))
  })
})
