import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { spawn } from "node:child_process"
import * as net from "node:net"
import { LineReader } from "../Agent/LineReader.js"
import { AgentRequest, MAX_LINE_BYTES, PROTOCOL_VERSION, ResponseEnvelope } from "../Schemas/AgentProtocol.js"
import { AgentClient, AgentUnavailable, AgentVersionMismatch } from "../Services/AgentClient.js"
import { Paths } from "../Services/Paths.js"
import { VERSION } from "../Version.js"

const decodeResponse = Schema.decodeUnknownEither(Schema.parseJson(ResponseEnvelope))

type Connected = { readonly _tag: "Connected"; readonly socket: net.Socket }
type NotRunning = { readonly _tag: "NotRunning"; readonly reason: string }

const connect = (socketPath: string) =>
  Effect.async<Connected | NotRunning>((resume) => {
    const socket = net.createConnection(socketPath)
    const onError = (error: NodeJS.ErrnoException) => {
      socket.destroy()
      resume(Effect.succeed({ _tag: "NotRunning", reason: `${error.code ?? error.message}` }))
    }
    socket.once("error", onError)
    socket.once("connect", () => {
      socket.off("error", onError)
      resume(Effect.succeed({ _tag: "Connected", socket }))
    })
    return Effect.sync(() => socket.destroy())
  })

/** Writes one request line and waits for the answer line with the same id. */
const exchange = (socket: net.Socket, line: string, id: number) =>
  Effect.async<typeof ResponseEnvelope.Type, AgentUnavailable>((resume) => {
    const reader = new LineReader(MAX_LINE_BYTES * 16)
    let done = false
    const finish = (effect: Effect.Effect<typeof ResponseEnvelope.Type, AgentUnavailable>) => {
      if (done) return
      done = true
      socket.destroy()
      resume(effect)
    }
    socket.on("data", (chunk: Buffer) => {
      const lines = reader.push(chunk)
      if (lines === "overflow") {
        return finish(Effect.fail(new AgentUnavailable({ message: "the agent sent an oversized answer" })))
      }
      for (const text of lines) {
        const decoded = decodeResponse(text)
        if (decoded._tag === "Left") {
          return finish(Effect.fail(new AgentUnavailable({ message: "the agent sent an answer this client cannot read" })))
        }
        if (decoded.right.id === id) return finish(Effect.succeed(decoded.right))
      }
    })
    socket.on("error", (error) =>
      finish(Effect.fail(new AgentUnavailable({ message: `the connection to the agent failed: ${error.message}` }))))
    socket.on("close", () =>
      finish(Effect.fail(new AgentUnavailable({ message: "the agent closed the connection before answering" }))))
    socket.write(line)
    return Effect.sync(() => {
      done = true
      socket.destroy()
    })
  })

/**
 * Starts the agent detached from this process, logging to its file; the returned
 * effect completes with the exit code if it ends early. It starts through
 * `ulimit -c 0` so that a crash never writes its memory (and secrets) to a core file.
 */
const spawnAgent = Effect.sync(() => {
  // A small young generation: the agent allocates little at a time, and its resident memory stays low.
  const command = [
    process.execPath,
    "--max-semi-space-size=1",
    "--optimize-for-size",
    ...(process.argv[1] === undefined ? [] : [process.argv[1]]),
    "agent",
    "--foreground",
    "--log-to-file"
  ]
  const child = spawn("/bin/sh", ["-c", 'ulimit -c 0; exec "$@"', "mairu-agent", ...command], {
    detached: true,
    stdio: "ignore",
    env: process.env
  })
  const exited = Effect.async<number | null>((resume) => {
    child.once("exit", (code) => resume(Effect.succeed(code)))
    child.once("error", () => resume(Effect.succeed(null)))
  })
  child.unref()
  return exited
})

export const AgentClientLive = Layer.effect(
  AgentClient,
  Effect.gen(function*() {
    const paths = yield* Paths
    const noAutoAgent = (process.env.MAIRU_NO_AUTO_AGENT ?? "") !== ""
    let nextId = 1

    const connectSoon = connect(paths.socketPath).pipe(
      Effect.flatMap((result) =>
        result._tag === "Connected" ? Effect.succeed(result.socket) : Effect.fail(result).pipe(Effect.delay("50 millis"))
      ),
      Effect.eventually
    )

    const spawnAndConnect = Effect.gen(function*() {
      const exited = yield* spawnAgent
      // An agent that exits at once may have lost a race to another one that now answers.
      const afterExit = exited.pipe(
        Effect.zipLeft(Effect.sleep("100 millis")),
        Effect.flatMap((code) =>
          connect(paths.socketPath).pipe(
            Effect.flatMap((result) =>
              result._tag === "Connected" ? Effect.succeed(result.socket) : Effect.fail(
                new AgentUnavailable({
                  message: `the agent exited as it started (exit code ${code}); run mairu agent --foreground to see why`
                })
              )
            )
          )
        )
      )
      const connected = yield* Effect.raceFirst(connectSoon, afterExit).pipe(Effect.timeoutOption("20 seconds"))
      return yield* Option.match(connected, {
        onNone: () =>
          new AgentUnavailable({
            message: `started an agent but it did not answer at ${paths.socketPath} within 20 s; ` +
              `run mairu agent --foreground to see why`
          }),
        onSome: Effect.succeed
      })
    })

    const connectOrSpawn = Effect.gen(function*() {
      const first = yield* connect(paths.socketPath)
      if (first._tag === "Connected") return first.socket
      if (noAutoAgent) {
        return yield* new AgentUnavailable({
          message: `no agent is running at ${paths.socketPath} (${first.reason}) and MAIRU_NO_AUTO_AGENT is set; ` +
            `start one with: mairu agent`
        })
      }
      return yield* spawnAndConnect
    })

    const call = <Req extends AgentRequest>(request: Req) =>
      Effect.gen(function*() {
        const id = nextId++
        const encoded = yield* Schema.encode(AgentRequest)(request).pipe(Effect.orDie)
        const line = JSON.stringify({ v: PROTOCOL_VERSION, id, version: VERSION, request: encoded }) + "\n"
        const socket = yield* connectOrSpawn
        const response = yield* exchange(socket, line, id)
        if (response.mismatch !== undefined) {
          return yield* new AgentVersionMismatch({ agentVersion: response.mismatch.version, clientVersion: VERSION })
        }
        const exit = yield* Schema.deserializeExit(request as Schema.WithResult.Any, response.exit).pipe(
          Effect.mapError(() => new AgentUnavailable({ message: "the agent sent an answer this client cannot read" }))
        )
        if (Exit.isSuccess(exit)) return exit.value
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure)) return yield* Effect.fail(failure.value)
        return yield* new AgentUnavailable({ message: `the agent failed: ${Cause.pretty(exit.cause)}` })
      }) as Effect.Effect<
        Schema.WithResult.Success<Req>,
        Schema.WithResult.Failure<Req> | AgentUnavailable | AgentVersionMismatch
      >

    const ping = connect(paths.socketPath).pipe(
      Effect.map((result) => {
        if (result._tag === "Connected") result.socket.destroy()
        return result._tag === "Connected"
      })
    )

    const start = spawnAndConnect.pipe(Effect.map((socket) => void socket.destroy()))

    return { call, ping, start }
  })
)
