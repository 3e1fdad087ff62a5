import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import type * as Scope from "effect/Scope"

/**
 * Runs at most one effect per key at a time: later callers join the run under
 * way. The run lives in `scope`, so a caller that goes away does not cancel it.
 */
export const makeSingleFlight = <A, E>(scope: Scope.Scope) => {
  const running = new Map<string, Deferred.Deferred<A, E>>()
  const run = (key: string, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      const existing = running.get(key)
      if (existing !== undefined) return Deferred.await(existing)
      const deferred = Deferred.unsafeMake<A, E>(FiberId.none)
      running.set(key, deferred)
      return effect.pipe(
        Effect.exit,
        Effect.flatMap((exit) =>
          Effect.sync(() => running.delete(key)).pipe(Effect.zipRight(Deferred.done(deferred, exit)))
        ),
        Effect.forkIn(scope),
        Effect.zipRight(Deferred.await(deferred))
      )
    })
  return { run, isRunning: (key: string) => running.has(key) }
}

export type SingleFlight<A, E> = ReturnType<typeof makeSingleFlight<A, E>>
