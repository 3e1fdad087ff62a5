import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"

/**
 * Where a command talks to its user. Messages go to the controlling terminal
 * (`/dev/tty`), else to stderr; stdout carries only a command's product.
 */
export interface TerminalShape {
  /** True when a controlling terminal is open for messages and prompts. */
  readonly hasTty: boolean
  /** A human message, prefixed `:: mairu ::`. */
  readonly message: (text: string) => Effect.Effect<void>
  /** The command's product on stdout (credential JSON, listings). */
  readonly product: (text: string) => Effect.Effect<void>
  /** Asks on the terminal and returns the answer line; None without a terminal. Never draws on stdout. */
  readonly prompt: (question: string) => Effect.Effect<Option.Option<string>>
}

export class Terminal extends Context.Tag("mairu/Terminal")<Terminal, TerminalShape>() {}
