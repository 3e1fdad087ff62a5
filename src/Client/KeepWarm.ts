import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { warmDelayMs } from "../Credentials/CachePolicy.js"
import { renewalRetries } from "../RenewalSchedule.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"

/**
 * Keeps the agent's cache warm while `exec`'s command runs: asks for the credentials again
 * as the agent stops serving the cached ones (see CachePolicy), so that the command's next
 * request is answered from memory. A failure is handed to `onError` and tried again on
 * the renewal schedule (which never gives up). Runs until interrupted, or until credentials do not expire.
 */
export const keepWarm = <E>(
  first: AwsCredentials,
  obtain: Effect.Effect<AwsCredentials, E>,
  onError: (error: E) => Effect.Effect<void>
): Effect.Effect<void, E> =>
  Effect.gen(function*() {
    let current = first
    for (;;) {
      const delay = warmDelayMs(current, yield* Clock.currentTimeMillis, yield* Random.next)
      if (delay === undefined) return
      yield* Effect.sleep(delay)
      current = yield* obtain.pipe(Effect.tapError(onError), Effect.retry(renewalRetries))
    }
  })
