import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import { MESSAGE_PREFIX, Terminal } from "../Services/Terminal.js"

const openTty = (): number | undefined => {
  try {
    return fs.openSync("/dev/tty", "w")
  } catch {
    return undefined
  }
}

const writeAll = (fd: number, text: string) => {
  try {
    fs.writeSync(fd, text)
  } catch {
    // The reader went away (closed pipe or terminal): nothing left to tell.
  }
}

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
      message: (text) =>
        Effect.sync(() =>
          writeAll(messageFd, text.split("\n").map((line) => MESSAGE_PREFIX + line).join("\n") + "\n")
        ),
      product: (text) => Effect.sync(() => writeAll(1, text))
    }
  })
)
