import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { keepWarm } from "../../src/Client/KeepWarm.js"
import type { AwsCredentials } from "../../src/Schemas/Credentials.js"

const MINUTE = 60_000

/** Credentials that expire `lifetime` ms after the TestClock's now. */
const expiringIn = (lifetime: number) =>
  Effect.map(TestClock.currentTimeMillis, (now): AwsCredentials => ({
    accessKeyId: `ASIA${now}`,
    secretAccessKey: Redacted.make("secret"),
    sessionToken: Redacted.make("token"),
    expiration: new Date(now + lifetime),
    noCache: false
  }))

describe("keeping exec's credentials warm", () => {
  it.effect("asks again 1-30 s after the agent stops serving them from its cache, again and again", () =>
    Effect.gen(function*() {
      let asked = 0
      const obtain = Effect.zipRight(Effect.sync(() => asked++), expiringIn(60 * MINUTE))
      const fiber = yield* Effect.fork(keepWarm(yield* expiringIn(60 * MINUTE), obtain, () => Effect.void))
      // The agent serves cached credentials while more than 15 minutes are left.
      yield* TestClock.adjust(45 * MINUTE)
      expect(asked).toBe(0)
      yield* TestClock.adjust("30 seconds")
      expect(asked).toBe(1)
      yield* TestClock.adjust(45 * MINUTE + 30_000)
      expect(asked).toBe(2)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("tells each failure and retries on the renewal schedule, backing off", () =>
    Effect.gen(function*() {
      const errors: Array<string> = []
      let asked = 0
      const obtain = Effect.suspend(() => ++asked <= 3 ? Effect.fail(`failure ${asked}`) : expiringIn(60 * MINUTE))
      const fiber = yield* Effect.fork(
        keepWarm(yield* expiringIn(16 * MINUTE), obtain, (error) => Effect.sync(() => void errors.push(error)))
      )
      /** Moves the clock a second at a time until `count` errors were told; how long that took. */
      const untilErrors = (count: number) =>
        Effect.gen(function*() {
          let waited = 0
          while (errors.length < count && waited < 10 * MINUTE) {
            yield* TestClock.adjust("1 second")
            waited += 1_000
          }
          return waited
        })
      // Never sooner than a minute, even for credentials the cache would serve a little longer.
      expect(yield* untilErrors(1)).toBeGreaterThan(MINUTE)
      // Then after 2.5-5 s, and 5-10 s (each step's half to whole, to the second).
      const second = yield* untilErrors(2)
      expect(second).toBeGreaterThanOrEqual(2_000)
      expect(second).toBeLessThanOrEqual(5_000)
      const third = yield* untilErrors(3)
      expect(third).toBeGreaterThanOrEqual(5_000)
      expect(third).toBeLessThanOrEqual(10_000)
      expect(errors).toEqual(["failure 1", "failure 2", "failure 3"])
      yield* TestClock.adjust("20 seconds")
      expect(asked).toBe(4)
      expect(errors).toHaveLength(3)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("stops for credentials that do not expire", () =>
    Effect.gen(function*() {
      const first: AwsCredentials = { ...(yield* expiringIn(MINUTE)), expiration: undefined }
      yield* keepWarm(first, Effect.die("not asked"), () => Effect.void)
    }))
})
