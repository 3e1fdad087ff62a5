import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { dieBy } from "./Exec/CommandProcess.js"
import { MESSAGE_PREFIX } from "./Terminal/Messages.js"
import { visible } from "./Terminal/Visible.js"

/** Ends the command with this exit code; what went wrong has already been told to the user. */
export class ExitCode extends Data.TaggedError("ExitCode")<{
  readonly code: number
  /** Die by this signal instead, as the command `exec` ran did. */
  readonly signal?: NodeJS.Signals
}> {}

/**
 * Ends the process as a finished program asks, at once: nothing left open (an agent
 * connection, a timer) may keep it alive. 130 when interrupted, the code (or death by
 * the signal) of an ExitCode failure, 1 for any other failure.
 */
export const exitProcess = (exit: Exit.Exit<unknown, unknown>): void => {
  if (Exit.isSuccess(exit)) return process.exit(0)
  if (Cause.isInterruptedOnly(exit.cause)) return process.exit(130)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure) && failure.value instanceof ExitCode) {
    if (failure.value.signal !== undefined) return dieBy(failure.value.signal)
    return process.exit(failure.value.code)
  }
  process.exit(1)
}

/**
 * Prints a failure that no command reported itself (not an ExitCode, not an
 * interruption, nor one that `alsoExpected` accepts) before the process ends with 1.
 */
export const reportUnexpected =
  (alsoExpected: (error: unknown) => boolean = () => false) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.tapErrorCause(self, (cause) => {
      const failure = Cause.failureOption(cause)
      if (Option.isSome(failure) && (failure.value instanceof ExitCode || alsoExpected(failure.value))) {
        return Effect.void
      }
      if (Cause.isInterruptedOnly(cause)) return Effect.void
      return Effect.sync(() =>
        process.stderr.write(`${MESSAGE_PREFIX}unexpected failure:\n${visible(Cause.pretty(cause))}\n`)
      )
    })
