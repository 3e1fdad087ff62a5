import * as Schedule from "effect/Schedule"

/**
 * When to try a failed renewal again (a session's refresh, a role's credentials): after
 * 5 s, doubling, capped at 2 minutes, each wait 50–100 % of its step so that renewals
 * that failed together do not retry together.
 */
export const renewalRetries = Schedule.exponential("5 seconds").pipe(
  Schedule.union(Schedule.spaced("2 minutes")),
  Schedule.jitteredWith({ min: 0.5, max: 1 })
)
