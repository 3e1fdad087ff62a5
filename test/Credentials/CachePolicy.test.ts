import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import {
  type Expiring,
  keepWarm,
  type Obtained,
  refreshDelayMs,
  retryDelayMs,
  servedFromCache
} from "../../src/Credentials/CachePolicy.js"

const MINUTE = 60_000

const credentials = (expiresAt: number | undefined, noCache = false): Expiring => ({
  expiration: expiresAt === undefined ? undefined : new Date(expiresAt),
  noCache
})

describe("the cache policy", () => {
  it("asks again just after the agent stops serving the cached credentials, never sooner than a minute", () => {
    expect(refreshDelayMs(credentials(60 * MINUTE), 0, 5_000)).toBe(45 * MINUTE + 5_000)
    expect(refreshDelayMs(credentials(10 * MINUTE), 0, 5_000)).toBe(MINUTE)
    expect(refreshDelayMs(credentials(undefined), 0, 0)).toBeUndefined()
    expect(refreshDelayMs(credentials(60 * MINUTE, true), 0, 0)).toBeUndefined()
  })

  it("counts credentials as cached while more than 15 minutes are left, and never when marked no-cache", () => {
    expect(servedFromCache(credentials(16 * MINUTE), 0)).toBe(true)
    expect(servedFromCache(credentials(15 * MINUTE), 0)).toBe(false)
    expect(servedFromCache(credentials(undefined), 0)).toBe(false)
    expect(servedFromCache(credentials(60 * MINUTE, true), 0)).toBe(false)
  })

  it("backs off exponentially with jitter, capped at 2 minutes", () => {
    expect(retryDelayMs(0, 1)).toBe(5_000)
    expect(retryDelayMs(1, 1)).toBe(10_000)
    expect(retryDelayMs(3, 0)).toBe(20_000)
    expect(retryDelayMs(10, 1)).toBe(120_000)
    expect(retryDelayMs(10, 0)).toBe(60_000)
  })
})

describe("keeping the agent's cache warm", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it("refreshes ahead of each expiry over hours, retrying failures", async () => {
    const calls: Array<number> = []
    let failNext = 2
    const obtain = (): Promise<Obtained<Expiring, string>> => {
      const now = Date.now()
      calls.push(now)
      if (failNext > 0) {
        failNext--
        return Promise.resolve({ ok: false, error: "down" })
      }
      return Promise.resolve({ ok: true, value: credentials(now + 60 * MINUTE) })
    }
    const errors: Array<string> = []
    const stop = keepWarm(credentials(60 * MINUTE), obtain, (error) => errors.push(error))
    for (let i = 0; i < 6 * 60; i++) await vi.advanceTimersByTimeAsync(MINUTE)
    stop()
    expect(errors).toEqual(["down", "down"])
    // The first call comes after 45 minutes plus jitter, never after the 15-minute mark has passed by much.
    expect(calls[0]).toBeGreaterThanOrEqual(45 * MINUTE)
    expect(calls[0]).toBeLessThanOrEqual(45 * MINUTE + 30_000)
    // Retries back off: 2.5-5 s, then 5-10 s.
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(2_500)
    expect(calls[1]! - calls[0]!).toBeLessThanOrEqual(5_000)
    expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(5_000)
    expect(calls[2]! - calls[1]!).toBeLessThanOrEqual(10_000)
    const successes = calls.slice(2)
    expect(successes.length).toBeGreaterThanOrEqual(6)
    for (let i = 1; i < successes.length; i++) {
      const gap = successes[i]! - successes[i - 1]!
      expect(gap).toBeGreaterThanOrEqual(45 * MINUTE)
      expect(gap).toBeLessThanOrEqual(45 * MINUTE + 30_000)
    }
  })

  it("does nothing more once stopped, and nothing at all for credentials that are never cached", async () => {
    let calls = 0
    const obtain = (): Promise<Obtained<Expiring, string>> => {
      calls++
      return Promise.resolve({ ok: true, value: credentials(Date.now() + 60 * MINUTE) })
    }
    keepWarm(credentials(60 * MINUTE, true), obtain, () => undefined)()
    keepWarm(credentials(undefined), obtain, () => undefined)
    const stop = keepWarm(credentials(60 * MINUTE), obtain, () => undefined)
    stop()
    await vi.advanceTimersByTimeAsync(5 * 60 * MINUTE)
    expect(calls).toBe(0)
  })
})
