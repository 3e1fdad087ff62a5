import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as readline from "node:readline"
import * as tty from "node:tty"
import { Terminal } from "../Services/Terminal.js"
import { MESSAGE_PREFIX, messageText, openTty, writeAll, writeProduct } from "../Terminal/Messages.js"
import { visible } from "../Terminal/Visible.js"

/** Reads one line from /dev/tty, echoing the question there too (never on stdout). */
const askOnTty = (question: string) =>
  Effect.async<Option.Option<string>>((resume) => {
    let input: tty.ReadStream
    let output: tty.WriteStream
    try {
      input = new tty.ReadStream(fs.openSync("/dev/tty", "r"))
      output = new tty.WriteStream(fs.openSync("/dev/tty", "w"))
    } catch {
      resume(Effect.succeed(Option.none()))
      return
    }
    const rl = readline.createInterface({ input, output, terminal: true })
    let answered = false
    const close = () => {
      rl.close()
      input.destroy()
      output.destroy()
    }
    rl.question(MESSAGE_PREFIX + visible(question), (answer) => {
      answered = true
      close()
      resume(Effect.succeed(Option.some(answer.trim())))
    })
    rl.on("close", () => {
      if (!answered) {
        answered = true
        input.destroy()
        output.destroy()
        resume(Effect.succeed(Option.none()))
      }
    })
    return Effect.sync(close)
  })

export const TerminalLive = Layer.scoped(
  Terminal,
  Effect.gen(function*() {
    const tty = yield* Effect.acquireRelease(
      Effect.sync(openTty),
      (fd) => Effect.sync(() => fd !== undefined && fs.closeSync(fd))
    )
    const messageFd = tty ?? 2
    return {
      hasTty: tty !== undefined,
      message: (text) => Effect.sync(() => writeAll(messageFd, messageText(text))),
      product: (text) => Effect.sync(() => writeProduct(text)),
      prompt: (question) => tty === undefined ? Effect.succeed(Option.none()) : askOnTty(question)
    }
  })
)
