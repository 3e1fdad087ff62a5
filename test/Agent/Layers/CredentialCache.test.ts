import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { CredentialCacheLive } from "../../../src/Agent/Layers/CredentialCacheLive.js"
import { CredentialCache } from "../../../src/Agent/Services/CredentialCache.js"
import { Unknown } from "../../../src/Schemas/AgentErrors.js"
import type { AwsCredentials } from "../../../src/Schemas/Credentials.js"
import type { ServerConfig } from "../../../src/Schemas/ServerConfig.js"

const server = (id: string): ServerConfig => ({
  _tag: "MairuApi",
  id,
  url: `https://${id}.example/`,
  path: `/x/${id}.json`,
  oauth: {
    clientId: "c",
    clientSecret: undefined,
    tokenEndpoint: `https://${id}.example/oauth/token`,
    scope: ["profile"],
    deviceGrant: undefined,
    codeGrant: { authorizationEndpoint: "https://x/", localPort: undefined, useLocalhost: false },
    defaultGrantType: "code_grant"
  }
})

/** A fetch that counts its runs and hands out credentials valid for `lifetimeMs`. */
const countingFetch = (lifetimeMs: number, options: { noCache?: boolean; delay?: Duration.DurationInput } = {}) => {
  let runs = 0
  const fetch = Effect.gen(function*() {
    runs++
    if (options.delay !== undefined) yield* Effect.sleep(options.delay)
    const now = yield* Clock.currentTimeMillis
    return {
      accessKeyId: `AKID${runs}`,
      secretAccessKey: Redacted.make("secret"),
      sessionToken: undefined,
      expiration: new Date(now + lifetimeMs),
      noCache: options.noCache ?? false
    } satisfies AwsCredentials
  })
  return { fetch, runs: () => runs }
}

const HOUR = 3600_000
const MINUTE = 60_000

describe("CredentialCache", () => {
  it.scoped("runs one fetch for many concurrent callers", () =>
    Effect.gen(function*() {
      const cache = yield* CredentialCache
      const { fetch, runs } = countingFetch(HOUR, { delay: "1 second" })
      const fibers = yield* Effect.forEach(
        Array.from({ length: 50 }),
        () => Effect.fork(cache.get(server("a"), "role", fetch, { noCache: false }))
      )
      yield* TestClock.adjust("1 second")
      const results = yield* Effect.forEach(fibers, Fiber.join)
      expect(runs()).toBe(1)
      expect(new Set(results.map((r) => r.credentials.accessKeyId))).toEqual(new Set(["AKID1"]))
      expect(results.filter((r) => r.source === "upstream")).toHaveLength(50)
    }).pipe(Effect.provide(CredentialCacheLive)))

  it.scoped("serves cached credentials only while more than 15 minutes are left", () =>
    Effect.gen(function*() {
      const cache = yield* CredentialCache
      const { fetch, runs } = countingFetch(HOUR)
      expect((yield* cache.get(server("a"), "role", fetch, { noCache: false })).source).toBe("upstream")
      yield* TestClock.adjust(44 * MINUTE)
      expect(yield* cache.get(server("a"), "role", fetch, { noCache: false })).toMatchObject({
        credentials: { accessKeyId: "AKID1" },
        source: "cache"
      })
      yield* TestClock.adjust(1 * MINUTE)
      expect(yield* cache.get(server("a"), "role", fetch, { noCache: false })).toMatchObject({
        credentials: { accessKeyId: "AKID2" },
        source: "upstream"
      })
      expect(runs()).toBe(2)
    }).pipe(Effect.provide(CredentialCacheLive)))

  it.scoped("never caches NoCache answers or failures, and --no-cache skips the cache", () =>
    Effect.gen(function*() {
      const cache = yield* CredentialCache
      const noCache = countingFetch(HOUR, { noCache: true })
      yield* cache.get(server("a"), "n", noCache.fetch, { noCache: false })
      yield* cache.get(server("a"), "n", noCache.fetch, { noCache: false })
      expect(noCache.runs()).toBe(2)

      let failures = 0
      const failing = Effect.suspend(() => {
        failures++
        return Effect.fail(new Unknown({ message: "boom" }))
      })
      expect((yield* Effect.flip(cache.get(server("a"), "f", failing, { noCache: false }))).message).toBe("boom")
      yield* Effect.flip(cache.get(server("a"), "f", failing, { noCache: false }))
      expect(failures).toBe(2)

      const normal = countingFetch(HOUR)
      yield* cache.get(server("a"), "r", normal.fetch, { noCache: false })
      expect((yield* cache.get(server("a"), "r", normal.fetch, { noCache: true })).credentials.accessKeyId).toBe(
        "AKID2"
      )
      expect((yield* cache.get(server("a"), "r", normal.fetch, { noCache: false })).credentials.accessKeyId).toBe(
        "AKID2"
      )
    }).pipe(Effect.provide(CredentialCacheLive)))

  it.scoped("forgets one server's credentials when it gets a new token", () =>
    Effect.gen(function*() {
      const cache = yield* CredentialCache
      const a = countingFetch(HOUR)
      const b = countingFetch(HOUR)
      yield* cache.get(server("a"), "role", a.fetch, { noCache: false })
      yield* cache.get(server("b"), "role", b.fetch, { noCache: false })
      yield* cache.clearServer(server("a"))
      yield* cache.get(server("a"), "role", a.fetch, { noCache: false })
      yield* cache.get(server("b"), "role", b.fetch, { noCache: false })
      expect(a.runs()).toBe(2)
      expect(b.runs()).toBe(1)
    }).pipe(Effect.provide(CredentialCacheLive)))

  it.scoped("keeps a fetch running when the caller that started it goes away", () =>
    Effect.gen(function*() {
      const cache = yield* CredentialCache
      const { fetch, runs } = countingFetch(HOUR, { delay: "1 second" })
      const first = yield* Effect.fork(cache.get(server("a"), "role", fetch, { noCache: false }))
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interrupt(first)
      const second = yield* Effect.fork(cache.get(server("a"), "role", fetch, { noCache: false }))
      yield* TestClock.adjust("1 second")
      expect((yield* Fiber.join(second)).credentials.accessKeyId).toBe("AKID1")
      expect(runs()).toBe(1)
    }).pipe(Effect.provide(CredentialCacheLive)))
})
