import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { retryDelayMs } from "../../src/Backoff.js"
import { autoRefresh, refreshDelayMs } from "../../src/Commands/AutoRefresh.js"
import { Unknown } from "../../src/Schemas/AgentErrors.js"
import type { AwsCredentials } from "../../src/Schemas/Credentials.js"

const credentials = (expiresAt: number | undefined, noCache = false): AwsCredentials => ({
  accessKeyId: "AKID",
  secretAccessKey: Redacted.make("s"),
  sessionToken: undefined,
  expiration: expiresAt === undefined ? undefined : new Date(expiresAt),
  noCache
})

const MINUTE = 60_000

describe("auto refresh", () => {
  it("asks again just after the agent stops serving the cached credentials, never sooner than a minute", () => {
    expect(refreshDelayMs(credentials(60 * MINUTE), 0, 5_000)).toBe(45 * MINUTE + 5_000)
    expect(refreshDelayMs(credentials(10 * MINUTE), 0, 5_000)).toBe(MINUTE)
    expect(refreshDelayMs(credentials(undefined), 0, 0)).toBeUndefined()
    expect(refreshDelayMs(credentials(60 * MINUTE, true), 0, 0)).toBeUndefined()
  })

  it("backs off exponentially with jitter, capped at 2 minutes", () => {
    expect(retryDelayMs(0, 1)).toBe(5_000)
    expect(retryDelayMs(1, 1)).toBe(10_000)
    expect(retryDelayMs(3, 0)).toBe(20_000)
    expect(retryDelayMs(10, 1)).toBe(120_000)
    expect(retryDelayMs(10, 0)).toBe(60_000)
  })

  it.scoped("refreshes ahead of each expiry over hours, retrying failures", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      let failNext = 2
      const obtain = Effect.gen(function*() {
        const now = yield* TestClock.currentTimeMillis
        calls.push(now)
        if (failNext > 0) {
          failNext--
          return yield* Effect.fail(new Unknown({ message: "down" }))
        }
        return credentials(now + 60 * MINUTE)
      })
      const errors: Array<string> = []
      const fiber = yield* Effect.fork(
        autoRefresh(credentials(60 * MINUTE), obtain, (e) => Effect.sync(() => errors.push(e.message)))
      )
      for (let i = 0; i < 6 * 60; i++) yield* TestClock.adjust("1 minute")
      yield* Fiber.interrupt(fiber)
      expect(errors).toEqual(["down", "down"])
      // The first call comes after 45 minutes plus jitter, never after the 15-minute mark has passed by much.
      expect(calls[0]).toBeGreaterThanOrEqual(45 * MINUTE)
      expect(calls[0]).toBeLessThanOrEqual(45 * MINUTE + 30_000)
      const successes = calls.slice(2)
      expect(successes.length).toBeGreaterThanOrEqual(6)
      for (let i = 1; i < successes.length; i++) {
        const gap = successes[i]! - successes[i - 1]!
        expect(gap).toBeGreaterThanOrEqual(45 * MINUTE)
        expect(gap).toBeLessThanOrEqual(45 * MINUTE + 30_000)
      }
    }))
})
