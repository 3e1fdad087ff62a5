import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { RoleRefresherLive } from "../../../src/Agent/Layers/RoleRefresherLive.js"
import { Credentials, type CredentialsRequest } from "../../../src/Agent/Services/Credentials.js"
import { RoleRefresher } from "../../../src/Agent/Services/RoleRefresher.js"
import type { AwsCredentials } from "../../../src/Schemas/Credentials.js"
import { mairuApiServer } from "../../support/servers.js"
import { settingsFrom } from "../../support/settings.js"

const server = mairuApiServer("local")
const spec = (role: string) => ({ server, role, assumeRole: undefined })
const MINUTE = 60_000
const HOUR = 60 * MINUTE

const lasting = (ms: number, noCache = false): AwsCredentials => ({
  accessKeyId: "AKID-first",
  secretAccessKey: Redacted.make("secret"),
  sessionToken: undefined,
  expiration: new Date(ms),
  noCache
})

/** The refresher on test credentials (an hour long), with the agent's settings from `env`. */
const refresherWith = (env: Record<string, string>) => {
  const requests: Array<CredentialsRequest> = []
  const layer = RoleRefresherLive.pipe(
    Layer.provide(Layer.merge(Credentials.layerTest({ requests }), settingsFrom(env)))
  )
  return { layer, requests, at: () => requests.map((request) => request.at) }
}

describe("RoleRefresher", () => {
  it.scoped("renew used credentials 20 minutes before they expire, past the cache, until the role is idle", () => {
    const sim = refresherWith({ MAIRU_AGENT_REFRESH_SPREAD: "0", MAIRU_AGENT_REFRESH_IDLE: "7000" })
    return Effect.gen(function*() {
      const refresher = yield* RoleRefresher
      yield* refresher.touch(spec("Used"), lasting(HOUR))
      yield* TestClock.adjust(40 * MINUTE - 1)
      expect(sim.requests).toEqual([])
      yield* TestClock.adjust(1)
      expect(sim.at()).toEqual([40 * MINUTE])
      expect(sim.requests[0]!.noCache).toBe(true)
      // The renewed credentials last an hour: the next renewal is 40 minutes on.
      yield* TestClock.adjust(40 * MINUTE)
      expect(sim.at()).toEqual([40 * MINUTE, 80 * MINUTE])
      // Idle for longer than MAIRU_AGENT_REFRESH_IDLE by the next one (at 120 minutes): let go.
      yield* TestClock.adjust(5 * HOUR)
      expect(sim.at()).toEqual([40 * MINUTE, 80 * MINUTE])
      // Asked again: kept warm afresh.
      yield* refresher.touch(spec("Used"), lasting(7 * HOUR + 20 * MINUTE))
      yield* TestClock.adjust(HOUR)
      expect(sim.at()).toEqual([40 * MINUTE, 80 * MINUTE, 7 * HOUR])
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("spread renewals over MAIRU_AGENT_REFRESH_SPREAD before their time", () => {
    const sim = refresherWith({ MAIRU_AGENT_REFRESH_SPREAD: "120" })
    return Effect.gen(function*() {
      const refresher = yield* RoleRefresher
      for (let i = 0; i < 20; i++) yield* refresher.touch(spec(`Role${i}`), lasting(HOUR))
      yield* TestClock.adjust(38 * MINUTE - 1)
      expect(sim.requests).toEqual([])
      yield* TestClock.adjust(2 * MINUTE + 1)
      expect(sim.requests).toHaveLength(20)
      expect(new Set(sim.at()).size).toBeGreaterThan(1)
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("keep nothing warm that the cache would not keep", () => {
    const sim = refresherWith({ MAIRU_AGENT_REFRESH_SPREAD: "0" })
    return Effect.gen(function*() {
      const refresher = yield* RoleRefresher
      yield* refresher.touch(spec("NoCache"), lasting(HOUR, true))
      yield* refresher.touch(spec("Short"), lasting(20 * MINUTE))
      yield* refresher.touch(spec("Kept"), lasting(HOUR))
      yield* TestClock.adjust(HOUR)
      expect(sim.requests.map((request) => request.spec.role)).toEqual(["Kept"])
    }).pipe(Effect.provide(sim.layer))
  })
})
