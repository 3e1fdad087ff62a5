import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { MIN_REMAINING_MS } from "../../Credentials/CachePolicy.js"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { AwsCredentials } from "../../Schemas/Credentials.js"
import { CredentialCache } from "../Services/CredentialCache.js"
import { serverKey } from "../Services/SessionStore.js"
import { makeSingleFlight } from "../SingleFlight.js"

interface Slot {
  stored: AwsCredentials | undefined
  /** Bumped by clearServer so that a fetch started with an old token is neither joined nor stored. */
  generation: number
}

/** Role specifications remembered at most; beyond this the cache forgets the least useful. */
export const MAX_ENTRIES = 10_000

const usable = (credentials: AwsCredentials, now: number) =>
  credentials.expiration === undefined || credentials.expiration.getTime() - now > MIN_REMAINING_MS

const flightKey = (sKey: string, key: string, slot: Slot) => `${sKey}\u0000${key}\u0000${slot.generation}`

export const CredentialCacheLive = Layer.scoped(
  CredentialCache,
  Effect.gen(function*() {
    const flights = makeSingleFlight<AwsCredentials, AgentError>(yield* Effect.scope)
    const servers = new Map<string, Map<string, Slot>>()
    let slotCount = 0

    /** Keeps memory bounded: drops what cannot be served, then the oldest entries; never one being fetched. */
    const sweep = (now: number) => {
      const idle = (sKey: string, key: string, slot: Slot) => !flights.isRunning(flightKey(sKey, key, slot))
      for (const [sKey, slots] of servers) {
        for (const [key, slot] of slots) {
          if (idle(sKey, key, slot) && (slot.stored === undefined || !usable(slot.stored, now))) {
            slots.delete(key)
            slotCount--
          }
        }
      }
      for (const [sKey, slots] of servers) {
        for (const [key, slot] of slots) {
          if (slotCount <= MAX_ENTRIES * 0.9) return
          if (idle(sKey, key, slot)) {
            slots.delete(key)
            slotCount--
          }
        }
      }
    }

    const slotFor = (sKey: string, key: string, now: number): Slot => {
      let slots = servers.get(sKey)
      if (slots === undefined) {
        slots = new Map()
        servers.set(sKey, slots)
      }
      let slot = slots.get(key)
      if (slot === undefined) {
        slot = { stored: undefined, generation: 0 }
        slots.set(key, slot)
        if (++slotCount > MAX_ENTRIES) sweep(now)
      }
      return slot
    }

    return {
      get: (server, key, fetch, { noCache }) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const sKey = serverKey(server)
          const slot = slotFor(sKey, key, now)
          if (!noCache && slot.stored !== undefined && usable(slot.stored, now)) {
            return { credentials: slot.stored, source: "cache" as const }
          }
          const generation = slot.generation
          const credentials = yield* flights.run(
            flightKey(sKey, key, slot),
            Effect.tap(fetch, (credentials) =>
              Effect.sync(() => {
                if (slot.generation === generation && !credentials.noCache) slot.stored = credentials
              }))
          )
          return { credentials, source: "upstream" as const }
        }),
      clearServer: (server) =>
        Effect.sync(() => {
          for (const slot of servers.get(serverKey(server))?.values() ?? []) {
            slot.stored = undefined
            slot.generation++
          }
        })
    }
  })
)
