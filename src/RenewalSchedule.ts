import * as Schedule from "effect/Schedule"
import { RETRY_FIRST_MS, RETRY_JITTER, RETRY_MAX_MS } from "./Credentials/CachePolicy.js"

/**
 * When to try a failed renewal again (a session's refresh, a role's credentials, an `exec`
 * keeping its credentials warm): the curve of CachePolicy's `retryDelayMs`, which the fast
 * path follows without Effect.
 */
export const renewalRetries = Schedule.exponential(RETRY_FIRST_MS).pipe(
  Schedule.union(Schedule.spaced(RETRY_MAX_MS)),
  Schedule.jitteredWith(RETRY_JITTER)
)
