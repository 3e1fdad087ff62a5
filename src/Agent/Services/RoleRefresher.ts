import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { MIN_REMAINING_MS } from "../../Credentials/CachePolicy.js"
import type { AwsCredentials } from "../../Schemas/Credentials.js"
import type { RoleSpec } from "./Credentials.js"

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
 * Keeps recently used role specifications' credentials warm: renewed ahead of time,
 * so that requests are answered from memory. A role idle for longer than
 * MAIRU_AGENT_REFRESH_IDLE, or whose session ended, is let go.
 */
export interface RoleRefresherShape {
  /** Notes that `spec` was asked for (and answered with `credentials`); starts keeping it warm if nobody does yet. */
  readonly touch: (spec: RoleSpec, credentials: AwsCredentials) => Effect.Effect<void>
}

export class RoleRefresher extends Context.Tag("mairu/RoleRefresher")<RoleRefresher, RoleRefresherShape>() {
  /** A refresher for tests of what uses it: renews nothing, and records every touch in `touched`. */
  static layerTest = (options: { readonly touched?: Array<RoleSpec> } = {}) =>
    Layer.succeed(RoleRefresher, { touch: (spec) => Effect.sync(() => void options.touched?.push(spec)) })
}
