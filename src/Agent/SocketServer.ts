import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { platform } from "../Platform/ThisPlatform.js"
import { type AgentError, InvalidArgument, Unknown } from "../Schemas/AgentErrors.js"
import { AgentRequest, Hello, MAX_LINE_BYTES, RequestEnvelope } from "../Schemas/AgentProtocol.js"
import { describeParseError } from "../Schemas/ParseIssues.js"
import { PROTOCOL_VERSION } from "../Schemas/ProtocolVersion.js"
import { VERSION } from "../Version.js"
import { LineReader } from "../Wire/LineReader.js"
import { ownerMarkerPath } from "../Wire/OwnerMarker.js"
import type { Handle, Peer, RequestContext } from "./Handle.js"
import { AgentStartError, claimSocketPath, releaseSocketPath, socketInode } from "./SocketPath.js"

const decodeEnvelope = Schema.decodeUnknownEither(Schema.parseJson(RequestEnvelope))
const decodeRequest = Schema.decodeUnknownEither(AgentRequest)
/** At once rather than as an effect: no schema of the protocol encodes with one, and each answer pays for it. */
const encodeRequestExit = (request: AgentRequest, exit: Exit.Exit<unknown, AgentError>) =>
  Schema.encodeEither(
    Schema.exitSchema(request as Schema.WithResult.Any) as Schema.Schema<Exit.Exit<unknown, AgentError>, unknown>
  )(exit)

/** An error answer for a line that is not a request we can read. */
const protocolError = (id: number, error: AgentError) =>
  Schema.serializeExit(new Hello(), Exit.fail(error)).pipe(
    Effect.map((exit) => JSON.stringify({ id, exit }) + "\n"),
    Effect.orDie
  )

/**
 * A random name for the temporary socket beside one named `name`, never longer: every path
 * within the platform's limit can be bound through it. Hidden (a leading dot) unless
 * `name` has a single byte.
 */
export const temporaryName = (name: string): string => {
  const length = Math.min(Buffer.byteLength(name), 8)
  const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
  const random = (count: number) =>
    Array.from(crypto.randomBytes(count), (byte) => letters[byte % letters.length]).join("")
  if (length > 1) return "." + random(length - 1)
  let letter = random(1)
  while (letter === name) letter = random(1)
  return letter
}

/** Connections answered at once; beyond this the agent refuses new ones until some close. */
const MAX_CONNECTIONS = 1024

/** Requests of one connection that run at once; its further lines wait, unread. */
const MAX_IN_FLIGHT = 16

/** Answers a client may leave unread before the agent stops reading its requests. */
const MAX_UNREAD_ANSWER_BYTES = 256 * 1024

/** Who connected, as the kernel tells (the pid and uid of the process that connected). */
const localPeer = (socket: net.Socket): Peer => {
  const credentials = platform.peerCredentials(socket)
  return "pid" in credentials ? { _tag: "Local", ...credentials } : { _tag: "Unknown", reason: credentials.reason }
}

/**
 * Serves the agent protocol on a unix socket for as long as the scope lives:
 * one JSON request per line, answered in any order, each in its own fiber,
 * interrupted when its client goes away. A client that sends faster than it
 * reads the answers is no longer read until it catches up. On a `remote` socket
 * (a restricted one, for forwarding) every client counts as remote; on the
 * agent's own, the kernel tells which process connected.
 */
export const serveSocket = (socketPath: string, handle: Handle, options: { readonly remote: boolean }) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    const runRequest = yield* FiberSet.makeRuntime<never, void, never>()

    const answer = (
      line: string,
      connection: number,
      context: Omit<RequestContext, "notices">
    ): Effect.Effect<string | undefined> =>
      Effect.gen(function*() {
        const envelope = decodeEnvelope(line)
        if (envelope._tag === "Left") {
          return yield* protocolError(
            0,
            new InvalidArgument({ message: "malformed request line: not a request envelope" })
          )
        }
        const { id, v, version } = envelope.right
        const request = decodeRequest(envelope.right.request)
        const isShutdown = request._tag === "Right" && request.right._tag === "Shutdown"
        if ((v !== PROTOCOL_VERSION || version !== VERSION) && !isShutdown) {
          return JSON.stringify({ id, mismatch: { protocol: PROTOCOL_VERSION, version: VERSION } }) + "\n"
        }
        if (request._tag === "Left") {
          const reason = describeParseError(request.left, "the request")
          return yield* protocolError(id, new InvalidArgument({ message: `malformed request: ${reason}` }))
        }
        yield* Effect.logDebug(`request ${request.right._tag} on connection ${connection}`)
        const notices: Array<string> = []
        const exit = yield* handle(request.right, { ...context, notices }).pipe(
          Effect.catchAllDefect((defect) => {
            return Effect.logError("request failed unexpectedly", defect).pipe(
              Effect.zipRight(Effect.fail(new Unknown({ message: "the agent failed unexpectedly; see its log" })))
            )
          }),
          Effect.exit
        )
        if (Exit.isFailure(exit)) yield* Effect.logDebug(`request ${request.right._tag} failed`, exit.cause)
        const encoded = yield* encodeRequestExit(request.right, exit).pipe(Effect.orDie)
        return JSON.stringify({ id, exit: encoded, ...(notices.length > 0 ? { notices } : {}) }) + "\n"
      })

    const sockets = new Set<net.Socket>()
    let connections = 0
    const onConnection = (socket: net.Socket) => {
      sockets.add(socket)
      const connection = ++connections
      const peer: Peer = options.remote ? { _tag: "Remote", socket: socketPath } : localPeer(socket)
      const reader = new LineReader(MAX_LINE_BYTES)
      // Closing the connection interrupts its requests. Plain bookkeeping rather than a scope of its
      // own: most connections carry one request, and each costs the client the agent's time.
      const running = new Set<Fiber.RuntimeFiber<void>>()
      const runInConnection = (request: Effect.Effect<void>) => {
        const fiber = runRequest(request)
        running.add(fiber)
        fiber.addObserver(() => running.delete(fiber))
      }
      const closed = Deferred.unsafeMake<void>(FiberId.none)
      // Backpressure: lines wait here while MAX_IN_FLIGHT requests run or the client leaves answers
      // unread, and the socket is not read meanwhile, so a client that never reads holds only this much.
      const waiting: Array<string> = []
      let inFlight = 0
      let pumping = false
      let overflowed = false
      const answersUnread = () => socket.writableLength > MAX_UNREAD_ANSWER_BYTES
      const pump = () => {
        // A request that ends at once calls back in here; the loop below sees its slot free.
        if (pumping || socket.destroyed) return
        pumping = true
        while (waiting.length > 0 && inFlight < MAX_IN_FLIGHT && !answersUnread()) {
          inFlight++
          const answered = Deferred.unsafeMake<void>(FiberId.none)
          const context = { peer, closed: Deferred.await(closed), answered: Deferred.await(answered) }
          runInConnection(
            answer(waiting.shift()!, connection, context).pipe(
              Effect.flatMap((text) =>
                Effect.async<void>((resume) => {
                  if (text === undefined || socket.destroyed) return resume(Effect.void)
                  socket.write(text, () => resume(Effect.void))
                })
              ),
              Effect.ensuring(Deferred.succeed(answered, undefined)),
              Effect.ensuring(Effect.sync(() => {
                inFlight--
                pump()
              }))
            )
          )
        }
        pumping = false
        const blocked = overflowed || waiting.length > 0 || inFlight >= MAX_IN_FLIGHT || answersUnread()
        if (blocked) socket.pause()
        else socket.resume()
      }
      socket.on("data", (chunk: Buffer) => {
        const lines = reader.push(chunk)
        if (lines === "overflow") {
          overflowed = true
          socket.pause()
          const tooLarge = new InvalidArgument({ message: `request line exceeds ${MAX_LINE_BYTES} bytes` })
          runFork(protocolError(0, tooLarge).pipe(Effect.map((text) => socket.write(text, () => socket.destroy()))))
          return
        }
        waiting.push(...lines.filter((line) => line.trim() !== ""))
        pump()
      })
      socket.on("drain", pump)
      socket.on("error", () => socket.destroy())
      socket.on("close", () => {
        sockets.delete(socket)
        waiting.length = 0
        Deferred.unsafeDone(closed, Exit.void)
        for (const fiber of running) fiber.unsafeInterruptAsFork(FiberId.none)
      })
    }

    const server = net.createServer(onConnection)
    server.maxConnections = MAX_CONNECTIONS
    const listen = (file: string) =>
      Effect.async<string, NodeJS.ErrnoException>((resume) => {
        server.once("error", (error: NodeJS.ErrnoException) => resume(Effect.fail(error)))
        server.listen(file, () => resume(Effect.succeed(file)))
      })
    // Listens on a temporary name beside the socket first (see claimSocketPath). A name taken
    // by any file fails with EADDRINUSE and another is tried: nothing is removed to make room.
    // Not path.join, which would drop a `link/..` of the checked path as text (see SocketTrust).
    const temporaryPath = yield* Effect.acquireRelease(
      Effect.suspend(() => listen(`${path.dirname(socketPath)}/${temporaryName(path.basename(socketPath))}`)).pipe(
        Effect.retry({ times: 20, while: (error) => error.code === "EADDRINUSE" }),
        Effect.mapError((error) =>
          new AgentStartError({ message: `cannot listen beside ${socketPath}: ${error.message}` })
        )
      ),
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          for (const socket of sockets) socket.destroy()
        })
    )
    const claimed = yield* claimSocketPath(socketPath, temporaryPath).pipe(
      Effect.ensuring(Effect.sync(() => fs.rmSync(temporaryPath, { force: true })))
    )
    const ino = socketInode(socketPath)
    const marker = ownerMarkerPath(socketPath)
    yield* Effect.sync(() => {
      try {
        fs.writeFileSync(marker, `${ino}\n`, { mode: 0o600 })
      } catch {
        // Without the marker a client starts no agent over this socket once it is dead; nothing else depends on it.
      }
    })
    yield* Effect.addFinalizer(() =>
      releaseSocketPath(socketPath, ino).pipe(Effect.zipRight(Effect.sync(() => {
        try {
          if (fs.readFileSync(marker, "utf8").trim() === String(ino)) fs.rmSync(marker, { force: true })
        } catch {
          // already gone
        }
      })))
    )
    return claimed
  })
