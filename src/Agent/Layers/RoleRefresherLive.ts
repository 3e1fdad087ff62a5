import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import { renewalRetries } from "../../RenewalSchedule.js"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { AwsCredentials } from "../../Schemas/Credentials.js"
import { Settings } from "../../Services/Settings.js"
import { Credentials, type RoleSpec, roleSpecKey } from "../Services/Credentials.js"
import { MAX_KEPT_WARM, renewAt, RoleRefresher, type RoleRefresherShape } from "../Services/RoleRefresher.js"
import { serverKey } from "../Services/SessionStore.js"

/**
 * One scoped fiber per recently used role specification that renews its
 * credentials ahead of time (with `fetchFresh`). A role idle for longer than
 * `idleMs`, or whose session ended, is let go.
 */
const makeRoleRefresher = (
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

    return { touch } satisfies RoleRefresherShape
  })

/** Renews through the Credentials service, bypassing its cache; idle time and spread are the agent's settings. */
export const RoleRefresherLive = Layer.scoped(
  RoleRefresher,
  Effect.gen(function*() {
    const settings = yield* Settings
    const credentials = yield* Credentials
    return yield* makeRoleRefresher((spec) => Effect.map(credentials.get(spec, true), (served) => served.credentials), {
      idleMs: Duration.toMillis(settings.refreshIdle),
      spreadMs: Duration.toMillis(settings.refreshSpread)
    })
  })
)
