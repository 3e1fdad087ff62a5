import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import * as ParseResult from "effect/ParseResult"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { type AgentError, InvalidArgument, Unknown } from "../Schemas/AgentErrors.js"
import { AgentRequest, Hello, MAX_LINE_BYTES, RequestEnvelope } from "../Schemas/AgentProtocol.js"
import { describeParseError } from "../Schemas/ParseIssues.js"
import { PROTOCOL_VERSION } from "../Schemas/ProtocolVersion.js"
import { VERSION } from "../Version.js"
import { LineReader } from "../Wire/LineReader.js"
import { ownerMarkerPath } from "../Wire/OwnerMarker.js"
import type { Handle } from "./Handle.js"
import { AgentStartError, claimSocketPath, releaseSocketPath, socketInode } from "./SocketPath.js"

const decodeEnvelope = Schema.decodeUnknownEither(Schema.parseJson(RequestEnvelope))
const decodeRequest = Schema.decodeUnknownEither(AgentRequest)
const encodeRequestExit = (request: AgentRequest, exit: Exit.Exit<unknown, AgentError>) =>
  Schema.serializeExit(request as Schema.WithResult.Any, exit) as Effect.Effect<unknown, ParseResult.ParseError>

/** An error answer for a line that is not a request we can read. */
const protocolError = (id: number, error: AgentError) =>
  Schema.serializeExit(new Hello(), Exit.fail(error)).pipe(
    Effect.map((exit) => JSON.stringify({ id, exit }) + "\n"),
    Effect.orDie
  )

/** Connections answered at once; beyond this the agent refuses new ones until some close. */
const MAX_CONNECTIONS = 1024

/**
 * Serves the agent protocol on a unix socket for as long as the scope lives:
 * one JSON request per line, answered in any order, each in its own fiber,
 * interrupted when its client goes away.
 */
export const serveSocket = (socketPath: string, handle: Handle) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    const runRequest = yield* FiberSet.makeRuntime<never, void, never>()

    const answer = (line: string, connection: number, closed: Effect.Effect<void>): Effect.Effect<string | undefined> =>
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
        const exit = yield* handle(request.right, { notices, closed }).pipe(
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
      socket.on("data", (chunk: Buffer) => {
        const lines = reader.push(chunk)
        if (lines === "overflow") {
          socket.pause()
          const tooLarge = new InvalidArgument({ message: `request line exceeds ${MAX_LINE_BYTES} bytes` })
          runFork(protocolError(0, tooLarge).pipe(Effect.map((text) => socket.write(text, () => socket.destroy()))))
          return
        }
        for (const line of lines) {
          if (line.trim() === "") continue
          runInConnection(
            answer(line, connection, Deferred.await(closed)).pipe(
              Effect.flatMap((text) =>
                Effect.sync(() => text !== undefined && !socket.destroyed && socket.write(text))
              ),
              Effect.asVoid
            )
          )
        }
      })
      socket.on("error", () => socket.destroy())
      socket.on("close", () => {
        sockets.delete(socket)
        Deferred.unsafeDone(closed, Exit.void)
        for (const fiber of running) fiber.unsafeInterruptAsFork(FiberId.none)
      })
    }

    const temporaryPath = path.join(
      path.dirname(socketPath),
      `.mairu-agent.${process.pid}.${crypto.randomBytes(4).toString("hex")}.sock`
    )
    yield* Effect.sync(() => fs.rmSync(temporaryPath, { force: true }))
    const server = net.createServer(onConnection)
    server.maxConnections = MAX_CONNECTIONS
    yield* Effect.acquireRelease(
      Effect.async<void, AgentStartError>((resume) => {
        server.once(
          "error",
          (error) =>
            resume(Effect.fail(new AgentStartError({ message: `cannot listen on ${temporaryPath}: ${error.message}` })))
        )
        server.listen(temporaryPath, () => resume(Effect.void))
      }),
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
