import * as net from "node:net"
import { platform } from "../Platform/ThisPlatform.js"
import { PROTOCOL_VERSION } from "../Schemas/ProtocolVersion.js"
import { LineReader } from "./LineReader.js"
import { checkSocketPath } from "./SocketTrust.js"

/**
 * The client end of the agent's socket with Node built-ins only: connecting and
 * exchanging request and answer lines (AgentLauncher starts an agent when none
 * answers). AgentClientLive wraps it with the protocol's schemas; the fast paths use it as is.
 */

/** Answers longer than this are refused. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024

export interface AgentUnavailableFailure {
  readonly _tag: "AgentUnavailable"
  readonly message: string
}

export const agentUnavailable = (message: string): AgentUnavailableFailure => ({ _tag: "AgentUnavailable", message })

export const isAgentUnavailable = (value: unknown): value is AgentUnavailableFailure =>
  typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "AgentUnavailable"

/** One answer line as sent: `exit` is the request's encoded Exit. */
export interface WireAnswer {
  readonly id: number
  readonly exit?: unknown
  readonly notices?: ReadonlyArray<string>
  readonly mismatch?: { readonly protocol: number; readonly version: string }
}

export type Connection =
  | { readonly _tag: "Connected"; readonly socket: net.Socket }
  | { readonly _tag: "NotRunning"; readonly reason: string }
  /** The socket's path fails the checks of SocketTrust: nothing there is believed. */
  | { readonly _tag: "Untrusted"; readonly message: string }

/** Where each connection leads, for messages about the peer. */
const socketPaths = new WeakMap<net.Socket, string>()

/**
 * Who reads each connection's bytes: the exchange under way. Connections hand their bytes over
 * with `onread` rather than as stream events, which spares every short-lived client the start-up
 * of Node's stream machinery.
 */
const receivers = new WeakMap<net.Socket, (chunk: Buffer) => void>()

/**
 * The original Rust Mairu's agent speaks gRPC, i.e. HTTP/2, on the same default
 * socket: its first bytes are an HTTP/2 frame header (its SETTINGS frame, or a
 * GOAWAY for our request, which is no HTTP/2 preface), which starts with the
 * frame's 24-bit length, so with a zero byte; an answer of ours starts with `{`.
 */
export const looksLikeHttp2 = (firstBytes: Buffer): boolean => firstBytes.length > 0 && firstBytes[0] === 0x00

export const originalAgentMessage = (socketPath: string | undefined): string => {
  const where = socketPath === undefined ? "the agent socket" : socketPath
  const owner = socketPath === undefined ? undefined : platform.socketListener(socketPath)
  const stop = owner === undefined
    ? "Stop it with the original's command: mairu kill-agent (or end its process)"
    : `Stop it (process ${owner.pid}${owner.command === "" ? "" : `, ${owner.command}`}) with: kill ${owner.pid}`
  return `the agent at ${where} is the original Rust Mairu's agent (it speaks gRPC, which this mairu does not). ` +
    `${stop}, or run this mairu with a socket of its own: export MAIRU_AGENT_SOCK=<another path>`
}

/** Connects to the agent at `socketPath` once its path is checked (see SocketTrust). */
export const connect = (socketPath: string): Promise<Connection> =>
  new Promise((resolve) => {
    const trust = checkSocketPath(socketPath)
    if (trust._tag === "Untrusted") return resolve(trust)
    if (trust._tag === "Missing") return resolve({ _tag: "NotRunning", reason: "ENOENT" })
    const socket: net.Socket = net.createConnection({
      path: socketPath,
      // Copied: the buffer is reused for the next read, and a reader may keep part of a chunk.
      onread: { buffer: Buffer.allocUnsafe(64 * 1024), callback: (size, buffer) => receive(socket, buffer, size) }
    })
    socketPaths.set(socket, socketPath)
    const onError = (error: NodeJS.ErrnoException) => {
      socket.destroy()
      resolve({ _tag: "NotRunning", reason: error.code ?? error.message })
    }
    socket.once("error", onError)
    socket.once("connect", () => {
      socket.off("error", onError)
      resolve({ _tag: "Connected", socket })
    })
  })

const receive = (socket: net.Socket, buffer: Uint8Array, size: number): boolean => {
  receivers.get(socket)?.(Buffer.from(buffer.subarray(0, size)))
  return true
}

export const aborted = (signal: AbortSignal | undefined) => signal?.aborted === true

const isAnswer = (value: unknown): value is WireAnswer =>
  typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "number"

/**
 * Writes request lines on `socket` and resolves with the answers to `ids`, in that
 * order; the socket is closed afterwards. Whatever goes wrong is an AgentUnavailable.
 */
export const exchange = (
  socket: net.Socket,
  lines: string,
  ids: ReadonlyArray<number>,
  signal?: AbortSignal
): Promise<ReadonlyArray<WireAnswer> | AgentUnavailableFailure> =>
  new Promise((resolve) => {
    const reader = new LineReader(MAX_ANSWER_BYTES)
    const answers = new Map<number, WireAnswer>()
    let firstChunk = true
    let done = false
    const finish = (result: ReadonlyArray<WireAnswer> | AgentUnavailableFailure) => {
      if (done) return
      done = true
      signal?.removeEventListener("abort", onAbort)
      resolve(result)
      // Closed once the caller has taken the answer: a fast path writes its output and exits first,
      // and exiting closes the socket without the stream teardown (most of a millisecond at start).
      setImmediate(() => socket.destroy())
    }
    const onAbort = () => finish(agentUnavailable("interrupted"))
    signal?.addEventListener("abort", onAbort)
    receivers.set(socket, (chunk) => {
      if (firstChunk && looksLikeHttp2(chunk)) {
        return finish(agentUnavailable(originalAgentMessage(socketPaths.get(socket))))
      }
      firstChunk = false
      const lines = reader.push(chunk)
      if (lines === "overflow") return finish(agentUnavailable("the agent sent an oversized answer"))
      for (const text of lines) {
        let answer: unknown
        try {
          answer = JSON.parse(text)
        } catch {
          return finish(agentUnavailable("the agent sent an answer this client cannot read"))
        }
        if (!isAnswer(answer)) return finish(agentUnavailable("the agent sent an answer this client cannot read"))
        if (ids.includes(answer.id)) answers.set(answer.id, answer)
      }
      if (ids.every((id) => answers.has(id))) finish(ids.map((id) => answers.get(id)!))
    })
    socket.on("error", (error) => finish(agentUnavailable(`the connection to the agent failed: ${error.message}`)))
    socket.on("close", () => finish(agentUnavailable(CLOSED_BEFORE_ANSWER)))
    if (aborted(signal)) return onAbort()
    socket.write(lines)
  })

/** Also what a forwarded socket whose ssh connection ended mid-request looks like. */
const CLOSED_BEFORE_ANSWER = "the agent's socket closed before it answered (if it is forwarded, over ssh or into a " +
  "container, that connection may have ended); run the command again once the agent is reachable"

/**
 * Sends one request and resolves with its answer, leaving the connection open:
 * the request lasts as long as the connection (a restricted socket). `closed`
 * resolves when the agent closes it; `close` closes it from this side.
 */
export const exchangeAndHold = async (
  socket: net.Socket,
  line: string,
  id: number,
  signal?: AbortSignal
): Promise<
  | { readonly answer: WireAnswer; readonly closed: Promise<void>; readonly close: () => void }
  | AgentUnavailableFailure
> => {
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()))
  const answered = await new Promise<WireAnswer | AgentUnavailableFailure>((resolve) => {
    const reader = new LineReader(MAX_ANSWER_BYTES)
    const finish = (result: WireAnswer | AgentUnavailableFailure) => {
      receivers.delete(socket)
      signal?.removeEventListener("abort", onAbort)
      resolve(result)
    }
    const onAbort = () => finish(agentUnavailable("interrupted"))
    signal?.addEventListener("abort", onAbort)
    receivers.set(socket, (chunk) => {
      const received = reader.push(chunk)
      if (received === "overflow") return finish(agentUnavailable("the agent sent an oversized answer"))
      for (const text of received) {
        let answer: unknown
        try {
          answer = JSON.parse(text)
        } catch {
          return finish(agentUnavailable("the agent sent an answer this client cannot read"))
        }
        if (isAnswer(answer) && answer.id === id) return finish(answer)
      }
    })
    socket.once("error", (error) => finish(agentUnavailable(`the connection to the agent failed: ${error.message}`)))
    void closed.then(() => finish(agentUnavailable(CLOSED_BEFORE_ANSWER)))
    if (aborted(signal)) return onAbort()
    socket.write(line)
  })
  if ("_tag" in answered) {
    socket.destroy()
    return answered
  }
  socket.on("error", () => socket.destroy())
  return { answer: answered, closed, close: () => socket.destroy() }
}

/** A request line of the protocol. */
export const requestLine = (id: number, version: string, request: unknown): string =>
  JSON.stringify({ v: PROTOCOL_VERSION, id, version, request }) + "\n"
