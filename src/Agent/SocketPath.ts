import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { checkSocketPath } from "../Wire/SocketTrust.js"

/** The agent cannot take its socket path. */
export class AgentStartError extends Data.TaggedError("AgentStartError")<{ readonly message: string }> {}

/**
 * Creates the socket's folder mode 0700, forces an existing one of the user's back
 * to 0700, and refuses a path that others could tamper with (see SocketTrust).
 */
export const preparePrivateFolder = (socketPath: string) =>
  Effect.try({
    try: () => {
      fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 })
      return checkSocketPath(socketPath, { fixFolderMode: true })
    },
    catch: (error) => new AgentStartError({ message: `cannot prepare the agent socket's folder: ${String(error)}` })
  }).pipe(
    Effect.flatMap((trust) =>
      trust._tag === "Untrusted" ? Effect.fail(new AgentStartError({ message: trust.message })) : Effect.void
    )
  )

/** True when something accepts connections at `socketPath`. */
export const isAlive = (socketPath: string) =>
  Effect.async<boolean>((resume) => {
    const socket = net.createConnection(socketPath)
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(true))
    })
    socket.once("error", () => resume(Effect.succeed(false)))
    return Effect.sync(() => socket.destroy())
  })

export const socketInode = (file: string): number | undefined => {
  try {
    return fs.lstatSync(file).ino
  } catch {
    return undefined
  }
}

/**
 * Publishes a listening socket at `socketPath` without ever replacing a live
 * agent: the server listens on a private temporary name which is then hard-linked
 * into place (link fails if the name exists, so two agents racing end with one).
 * A stale socket (nothing answers) is removed first; any other kind of file is an error.
 */
export const claimSocketPath = (socketPath: string, temporaryPath: string) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 5; attempt++) {
      const linked = yield* Effect.try({
        try: () => {
          fs.linkSync(temporaryPath, socketPath)
          return true
        },
        catch: (error) => error as NodeJS.ErrnoException
      }).pipe(
        Effect.catchAll((error) =>
          error.code === "EEXIST"
            ? Effect.succeed(false)
            : Effect.fail(
              new AgentStartError({ message: `cannot create the agent socket ${socketPath}: ${error.message}` })
            )
        )
      )
      if (linked) return
      const existing = fs.lstatSync(socketPath, { throwIfNoEntry: false })
      if (existing === undefined) continue
      if (!existing.isSocket()) {
        return yield* new AgentStartError({
          message: `${socketPath} exists and is not a socket; remove it, or set MAIRU_AGENT_SOCK to another path`
        })
      }
      if (yield* isAlive(socketPath)) {
        return yield* new AgentStartError({ message: `an agent is already running at ${socketPath}` })
      }
      // Stale: remove it, unless another agent replaced it since we looked.
      if (socketInode(socketPath) === existing.ino) {
        yield* Effect.sync(() => fs.rmSync(socketPath, { force: true }))
      }
    }
    return yield* new AgentStartError({
      message: `cannot claim ${socketPath}: it keeps changing; is another agent starting?`
    })
  })

/** Removes the socket at `socketPath` if it is still ours. */
export const releaseSocketPath = (socketPath: string, ino: number | undefined) =>
  Effect.sync(() => {
    if (ino !== undefined && socketInode(socketPath) === ino) fs.rmSync(socketPath, { force: true })
  })
