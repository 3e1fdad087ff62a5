import * as fs from "node:fs"
import type { AgentUnavailableFailure } from "../Wire/AgentWire.js"
import { visible, visibleLine } from "./Visible.js"

export const MESSAGE_PREFIX = ":: mairu :: "

/** The failures a command tells its user about, as they arrive (typed errors or their encoded form). */
export type DescribableFailure =
  | { readonly _tag: "Unauthenticated"; readonly serverId: string; readonly message: string }
  | {
    readonly _tag:
      | "PermissionDenied"
      | "NotFound"
      | "InvalidArgument"
      | "NotAllowed"
      | "ResourceExhausted"
      | "Unknown"
    readonly message: string
  }
  | AgentUnavailableFailure
  | { readonly _tag: "AgentVersionMismatch"; readonly agentVersion: string; readonly clientVersion: string }

/** One line that says what happened and what to do next, for every failure kind. */
export const describeFailure = (error: DescribableFailure): string => {
  switch (error._tag) {
    case "Unauthenticated":
      return `${error.message}. Log in with: mairu login ${error.serverId}`
    case "PermissionDenied":
      return `permission denied: ${error.message}. Logging in again will not help; ask the server's administrator.`
    case "AgentVersionMismatch":
      return `the running agent is version ${error.agentVersion} but this mairu is ${error.clientVersion}; ` +
        `stop it with: mairu kill-agent (the next command starts a new one)`
    default:
      return error.message
  }
}

/** The warning for a `servers.d` file that could not be used. */
export const skippedFileWarning = (problem: { readonly path: string; readonly reason: string }) =>
  `warning: skipped server file ${visibleLine(problem.path)}: ${problem.reason}`

/** `text` with every line prefixed `:: mairu ::`, control characters made visible. */
export const messageText = (text: string) =>
  text.split("\n").map((line) => MESSAGE_PREFIX + visible(line)).join("\n") + "\n"

/** The controlling terminal for messages, if there is one. */
export const openTty = (): number | undefined => {
  try {
    return fs.openSync("/dev/tty", "w")
  } catch {
    return undefined
  }
}

/** Writes all of `text`; a reader that went away (closed pipe or terminal) leaves nothing to tell. */
export const writeAll = (fd: number, text: string) => {
  let rest = Buffer.from(text)
  while (rest.length > 0) {
    try {
      rest = rest.subarray(fs.writeSync(fd, rest))
    } catch (error) {
      // A reader that is gone (EPIPE) or a closed descriptor: nothing left to tell.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") return
      // A non-blocking pipe that is full: wait a moment for the reader.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1)
    }
  }
}

/** Writes a command's product (credential JSON, listings) on stdout, control characters made visible. */
export const writeProduct = (text: string) => writeAll(1, visible(text))

/**
 * Tells the user `text` (prefixed) on the controlling terminal, or on stderr when there
 * is none. The terminal is opened at the first message, so a run with nothing to say
 * never opens it.
 */
export const userMessages = (): (text: string) => void => {
  let fd: number | undefined
  return (text) => {
    fd ??= openTty() ?? 2
    writeAll(fd, messageText(text))
  }
}
