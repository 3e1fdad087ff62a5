import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

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

/** What a test terminal was told, and the answers it gives to prompts, in order. */
export interface TerminalRecord {
  readonly messages: Array<string>
  readonly products: Array<string>
  readonly prompts: Array<string>
  /** Answers typed at the prompts; with none left (or none given) there is no terminal to ask on. */
  readonly answers: Array<string>
}

export const terminalRecord = (answers: ReadonlyArray<string> = []): TerminalRecord => ({
  messages: [],
  products: [],
  prompts: [],
  answers: [...answers]
})

/** For tests: a terminal that records what it is told in `record` (a terminal to ask on when answers are given). */
export const layerTest = (record: TerminalRecord = terminalRecord()) =>
  Layer.succeed(Terminal, {
    hasTty: record.answers.length > 0,
    message: (text) => Effect.sync(() => void record.messages.push(text)),
    product: (text) => Effect.sync(() => void record.products.push(text)),
    prompt: (question) =>
      Effect.sync(() => {
        record.prompts.push(question)
        return Option.fromNullable(record.answers.shift())
      })
  })
