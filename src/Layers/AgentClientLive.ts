import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as net from "node:net"
import { connectOrStart, connectRunning, startAgent } from "../Launcher/AgentLauncher.js"
import { AgentRequest, ResponseEnvelope } from "../Schemas/AgentProtocol.js"
import { AgentClient, AgentUnavailable, AgentVersionMismatch } from "../Services/AgentClient.js"
import { Paths } from "../Services/Paths.js"
import { Settings } from "../Services/Settings.js"
import { Terminal } from "../Services/Terminal.js"
import { VERSION } from "../Version.js"
import {
  type AgentUnavailableFailure,
  connect,
  exchange,
  exchangeAndHold,
  isAgentUnavailable,
  requestLine
} from "../Wire/AgentWire.js"
import { plainEnvironment } from "./SettingsLive.js"

const decodeResponse = Schema.decodeUnknownEither(ResponseEnvelope)

/** Runs a plain wire step as an effect; interrupting it aborts the step. */
const wire = <A>(step: (signal: AbortSignal) => Promise<A | AgentUnavailableFailure>) =>
  Effect.async<A, AgentUnavailable>((resume, signal) => {
    void step(signal).then((result) =>
      resume(isAgentUnavailable(result) ? Effect.fail(AgentUnavailable.fromWire(result)) : Effect.succeed(result))
    )
  })

export const AgentClientLive = Layer.effect(
  AgentClient,
  Effect.gen(function*() {
    const paths = yield* Paths
    const environment = plainEnvironment(yield* Settings)
    const terminal = yield* Terminal
    let nextId = 1
    const told = new Set<string>()

    /** The request's typed result from an answer line; the agent's notices are told once. */
    const decodeAnswer = <Req extends AgentRequest>(request: Req, answer: unknown) =>
      Effect.gen(function*() {
        const response = decodeResponse(answer)
        if (response._tag === "Left") {
          return yield* new AgentUnavailable({ message: "the agent sent an answer this client cannot read" })
        }
        for (const notice of response.right.notices ?? []) {
          if (told.has(notice)) continue
          told.add(notice)
          yield* terminal.message(notice)
        }
        if (response.right.mismatch !== undefined) {
          return yield* new AgentVersionMismatch({
            agentVersion: response.right.mismatch.version,
            clientVersion: VERSION
          })
        }
        const exit = yield* Schema.deserializeExit(request as Schema.WithResult.Any, response.right.exit).pipe(
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

    const call = <Req extends AgentRequest>(request: Req, options?: { readonly start?: boolean }) =>
      Effect.gen(function*() {
        const id = nextId++
        const encoded = yield* Schema.encode(AgentRequest)(request).pipe(Effect.orDie)
        const [answer] = yield* wire(async (signal) => {
          const socket = options?.start === false
            ? await connectRunning(paths.socketPath)
            : await connectOrStart(paths.socketPath, environment, signal)
          return socket instanceof net.Socket
            ? exchange(socket, requestLine(id, VERSION, encoded), [id], signal)
            : socket
        })
        return yield* decodeAnswer(request, answer)
      })

    const hold = <Req extends AgentRequest>(request: Req) =>
      Effect.gen(function*() {
        const id = nextId++
        const encoded = yield* Schema.encode(AgentRequest)(request).pipe(Effect.orDie)
        const held = yield* Effect.acquireRelease(
          wire(async (signal) => {
            const socket = await connectOrStart(paths.socketPath, environment, signal)
            return socket instanceof net.Socket
              ? exchangeAndHold(socket, requestLine(id, VERSION, encoded), id, signal)
              : socket
          }),
          (held) => Effect.sync(held.close)
        )
        const value = yield* decodeAnswer(request, held.answer)
        return { value, closed: Effect.promise(() => held.closed) }
      })

    const ping = Effect.promise(() => connect(paths.socketPath)).pipe(
      Effect.map((result) => {
        if (result._tag === "Connected") result.socket.destroy()
        return result._tag === "Connected"
      })
    )

    const start = wire((signal) => startAgent(paths.socketPath, environment, signal)).pipe(
      Effect.map((socket) => void socket.destroy())
    )

    return { call, hold, ping, start }
  })
)
