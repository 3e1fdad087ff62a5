import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Random from "effect/Random"
import { MIN_REMAINING_MS } from "../Credentials/CachePolicy.js"
import { renewalRetries } from "../RenewalSchedule.js"
import type { AgentError } from "../Schemas/AgentErrors.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import { type RoleSpec, roleSpecKey } from "./Credentials.js"
import { serverKey } from "./Services/SessionStore.js"

/** Credentials are renewed this long before the cache would stop serving them. */
export const REFRESH_LEAD_MS = 5 * 60 * 1000

/** Role specifications kept warm at most, so that memory stays bounded under many roles. */
export const MAX_KEPT_WARM = 2_000

/** When to renew: before the credentials fall inside the cache's 15-minute window; undefined if they never can be. */
export const renewAt = (credentials: AwsCredentials, spreadMs: number): number | undefined => {
  if (credentials.expiration === undefined || credentials.noCache) return undefined
  return credentials.expiration.getTime() - MIN_REMAINING_MS - REFRESH_LEAD_MS - spreadMs
}

/**
 * One scoped fiber per recently used role specification that renews its
 * credentials ahead of time, so that requests are answered from memory. A role
 * idle for longer than `idleMs`, or whose session ended, is let go.
 */
export const makeRoleRefresher = (
  fetchFresh: (spec: RoleSpec) => Effect.Effect<AwsCredentials, AgentError>,
  options: { readonly idleMs: number; readonly spreadMs: number }
) =>
  Effect.gen(function*() {
    const fibers = yield* FiberMap.make<string>()
    const lastUsed = new Map<string, number>()

    const isIdle = (key: string) =>
      Effect.map(Clock.currentTimeMillis, (now) => now - (lastUsed.get(key) ?? 0) > options.idleMs)

    /** Renews once, retrying on failure; None when the role is idle or its session ended. */
    const renew = (key: string, spec: RoleSpec) =>
      Effect.gen(function*() {
        if (yield* isIdle(key)) return undefined
        return yield* fetchFresh(spec)
      }).pipe(
        Effect.tapError((error) =>
          Effect.logDebug(`renewing ${spec.role} at ${spec.server.id} failed (${error._tag}); retrying`)
        ),
        Effect.retry({
          schedule: renewalRetries,
          while: (error) => error._tag !== "Unauthenticated" && Effect.map(isIdle(key), (idle) => !idle)
        }),
        Effect.orElseSucceed(() => undefined)
      )

    const keep = (key: string, spec: RoleSpec, first: AwsCredentials) =>
      Effect.gen(function*() {
        let current: AwsCredentials | undefined = first
        while (current !== undefined) {
          const at = renewAt(current, options.spreadMs === 0 ? 0 : yield* Random.nextIntBetween(0, options.spreadMs))
          const now = yield* Clock.currentTimeMillis
          if (at === undefined || at <= now) return
          yield* Effect.sleep(Duration.millis(at - now))
          current = yield* renew(key, spec)
        }
      }).pipe(Effect.ensuring(Effect.sync(() => lastUsed.delete(key))))

    /** Notes that `spec` was asked for; starts keeping it warm if nobody does yet. */
    const touch = (spec: RoleSpec, credentials: AwsCredentials) =>
      Effect.gen(function*() {
        const key = `${serverKey(spec.server)}\u0000${roleSpecKey(spec)}`
        const known = lastUsed.has(key)
        if (!known && lastUsed.size >= MAX_KEPT_WARM) return
        lastUsed.set(key, yield* Clock.currentTimeMillis)
        if (!known) yield* FiberMap.run(fibers, key, keep(key, spec, credentials))
      })

    return { touch }
  })
