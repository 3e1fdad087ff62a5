import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import type { AgentError } from "../Schemas/AgentErrors.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import { CredentialCache, MIN_REMAINING_MS } from "../Services/CredentialCache.js"
import { serverKey } from "../Services/SessionStore.js"

interface Slot {
  stored: AwsCredentials | undefined
  inFlight: Deferred.Deferred<AwsCredentials, AgentError> | undefined
  /** Bumped by clearServer so that a fetch started with an old token is not stored. */
  generation: number
}

/** Role specifications remembered at most; beyond this the cache forgets the least useful. */
export const MAX_ENTRIES = 10_000

const usable = (credentials: AwsCredentials, now: number) =>
  credentials.expiration === undefined || credentials.expiration.getTime() - now > MIN_REMAINING_MS

export const CredentialCacheLive = Layer.scoped(
  CredentialCache,
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const servers = new Map<string, Map<string, Slot>>()

    let slotCount = 0

    /** Keeps memory bounded: drops what cannot be served, then the oldest entries. */
    const sweep = (now: number) => {
      for (const slots of servers.values()) {
        for (const [key, slot] of slots) {
          if (slot.inFlight === undefined && (slot.stored === undefined || !usable(slot.stored, now))) {
            slots.delete(key)
            slotCount--
          }
        }
      }
      for (const slots of servers.values()) {
        for (const [key, slot] of slots) {
          if (slotCount <= MAX_ENTRIES * 0.9) return
          if (slot.inFlight === undefined) {
            slots.delete(key)
            slotCount--
          }
        }
      }
    }

    const slotFor = (server: ServerConfig, key: string, now: number): Slot => {
      const sKey = serverKey(server)
      let slots = servers.get(sKey)
      if (slots === undefined) {
        slots = new Map()
        servers.set(sKey, slots)
      }
      let slot = slots.get(key)
      if (slot === undefined) {
        slot = { stored: undefined, inFlight: undefined, generation: 0 }
        slots.set(key, slot)
        if (++slotCount > MAX_ENTRIES) sweep(now)
      }
      return slot
    }

    // Synchronous from the check to the registration, so two callers cannot both start a fetch.
    const startFetch = (slot: Slot, fetch: Effect.Effect<AwsCredentials, AgentError>) => {
      const deferred = Deferred.unsafeMake<AwsCredentials, AgentError>(FiberId.none)
      const generation = slot.generation
      slot.inFlight = deferred
      return fetch.pipe(
          Effect.tap((credentials) =>
            Effect.sync(() => {
              if (slot.generation === generation && !credentials.noCache) slot.stored = credentials
            })
          ),
          Effect.exit,
          Effect.flatMap((exit) =>
            Effect.sync(() => {
              if (slot.inFlight === deferred) slot.inFlight = undefined
            }).pipe(Effect.zipRight(Deferred.done(deferred, exit)))
          ),
        Effect.forkIn(scope),
        Effect.as(deferred)
      )
    }

    return {
      get: (server, key, fetch, { noCache }) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const slot = slotFor(server, key, now)
          if (!noCache && slot.stored !== undefined && usable(slot.stored, now)) return slot.stored
          const deferred = slot.inFlight !== undefined ? slot.inFlight : yield* startFetch(slot, fetch)
          return yield* Deferred.await(deferred)
        }),
      clearServer: (server) =>
        Effect.sync(() => {
          for (const slot of servers.get(serverKey(server))?.values() ?? []) {
            slot.stored = undefined
            slot.inFlight = undefined
            slot.generation++
          }
        })
    }
  })
)
