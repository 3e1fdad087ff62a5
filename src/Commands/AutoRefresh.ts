import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { retryDelayMs } from "../Backoff.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import { MIN_REMAINING_MS } from "../Services/CredentialCache.js"

const MIN_WAIT_MS = 60_000

/** How long to wait before asking again: just past the point where the agent stops serving these credentials. */
export const refreshDelayMs = (credentials: AwsCredentials, now: number, jitterMs: number): number | undefined => {
  if (credentials.expiration === undefined || credentials.noCache) return undefined
  return Math.max(credentials.expiration.getTime() - MIN_REMAINING_MS - now + jitterMs, MIN_WAIT_MS)
}


/**
 * Keeps the agent's cache warm for a running command: asks for the credentials
 * again as the agent stops serving the cached ones, so that the command's next
 * request is answered from memory. Failures are retried with backoff.
 */
export const autoRefresh = <E>(
  first: AwsCredentials,
  obtain: Effect.Effect<AwsCredentials, E>,
  onError: (error: E) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    let current = first
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const jitter = yield* Random.nextIntBetween(1_000, 30_000)
      const delay = refreshDelayMs(current, now, jitter)
      if (delay === undefined) return
      yield* Effect.sleep(Duration.millis(delay))
      for (let attempt = 0; ; attempt++) {
        const result = yield* Effect.either(obtain)
        if (result._tag === "Right") {
          current = result.right
          break
        }
        yield* onError(result.left)
        yield* Effect.sleep(Duration.millis(retryDelayMs(attempt, yield* Random.next)))
      }
    }
  })
