import * as net from "node:net"
import { LineReader } from "../Agent/LineReader.js"
import { IS_SEA } from "./Sea.js"

/**
 * The client end of the agent's socket with Node built-ins only: connecting,
 * starting an agent when none answers, and exchanging request and answer lines.
 * AgentClientLive wraps it with the protocol's schemas; the fast paths use it as is.
 */

/** The protocol's version, as in src/Schemas/AgentProtocol.ts (a test checks they agree). */
export const WIRE_PROTOCOL_VERSION = 1
/** Answers longer than this are refused. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024

const START_TIMEOUT_MS = 20_000
const POLL_MS = 50
const AFTER_EXIT_MS = 100

export interface AgentUnavailableFailure {
  readonly _tag: "AgentUnavailable"
  readonly message: string
}

export const agentUnavailable = (message: string): AgentUnavailableFailure => ({ _tag: "AgentUnavailable", message })

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

export const connect = (socketPath: string): Promise<Connection> =>
  new Promise((resolve) => {
    const socket = net.createConnection(socketPath)
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

const aborted = (signal: AbortSignal | undefined) => signal?.aborted === true

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * The agent's V8 flags: its resident memory stays low with a small young generation and
 * without V8's optimising compilers (their code is then never paged in): its answers are
 * small and rare, and measured as fast without them.
 */
export const AGENT_V8_FLAGS: ReadonlyArray<string> = ["--max-semi-space-size=1", "--optimize-for-size", "--no-opt", "--no-maglev"]

/**
 * The agent's command line. The single executable is started as itself: it has no script
 * path and reads no Node.js options from its arguments, so its agent sets AGENT_V8_FLAGS
 * as it starts (see main.ts).
 */
export const agentCommand = (): Array<string> => [
  process.execPath,
  ...(IS_SEA ? [] : [...AGENT_V8_FLAGS, ...(process.argv[1] === undefined ? [] : [process.argv[1]])]),
  "agent",
  "--foreground",
  "--log-to-file"
]

/**
 * Starts the agent detached from this process, logging to its file. It starts
 * through `ulimit -c 0` so that a crash never writes its memory (and secrets) to
 * a core file. Resolves with the exit code if it ends.
 */
export const spawnAgent = async (env: NodeJS.ProcessEnv): Promise<number | null> => {
  // Loaded only here: the fast paths that merely talk to a running agent never need it.
  const { spawn } = await import("node:child_process")
  const command = agentCommand()
  const child = spawn("/bin/sh", ["-c", 'ulimit -c 0; exec "$@"', "mairu-agent", ...command], {
    detached: true,
    stdio: "ignore",
    env
  })
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code))
    child.once("error", () => resolve(null))
  })
  child.unref()
  return await exited
}

/** Starts an agent and waits until it answers: 20 s at most, less if it exits at once. */
export const startAgent = async (
  socketPath: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal
): Promise<net.Socket | AgentUnavailableFailure> => {
  let exitedAt: number | undefined
  let exitCode: number | null = null
  void spawnAgent(env).then((code) => {
    exitCode = code
    exitedAt = Date.now()
  })
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!aborted(signal)) {
    const connection = await connect(socketPath)
    if (connection._tag === "Connected") {
      if (!aborted(signal)) return connection.socket
      connection.socket.destroy()
      break
    }
    // An agent that exits at once may have lost a race to another one that now answers.
    if (exitedAt !== undefined && Date.now() - exitedAt >= AFTER_EXIT_MS) {
      return agentUnavailable(
        `the agent exited as it started (exit code ${exitCode}); run mairu agent --foreground to see why`
      )
    }
    if (Date.now() >= deadline) {
      return agentUnavailable(
        `started an agent but it did not answer at ${socketPath} within 20 s; run mairu agent --foreground to see why`
      )
    }
    await sleep(POLL_MS)
  }
  return agentUnavailable("interrupted while starting the agent")
}

/** A connection to the running agent, starting one unless `MAIRU_NO_AUTO_AGENT` forbids it. */
export const connectOrStart = async (
  socketPath: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal
): Promise<net.Socket | AgentUnavailableFailure> => {
  const first = await connect(socketPath)
  if (first._tag === "Connected") return first.socket
  if ((env.MAIRU_NO_AUTO_AGENT ?? "") !== "") {
    return agentUnavailable(
      `no agent is running at ${socketPath} (${first.reason}) and MAIRU_NO_AUTO_AGENT is set; start one with: mairu agent`
    )
  }
  return startAgent(socketPath, env, signal)
}

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
    let done = false
    const finish = (result: ReadonlyArray<WireAnswer> | AgentUnavailableFailure) => {
      if (done) return
      done = true
      socket.destroy()
      signal?.removeEventListener("abort", onAbort)
      resolve(result)
    }
    const onAbort = () => finish(agentUnavailable("interrupted"))
    signal?.addEventListener("abort", onAbort)
    socket.on("data", (chunk: Buffer) => {
      const received = reader.push(chunk)
      if (received === "overflow") return finish(agentUnavailable("the agent sent an oversized answer"))
      for (const text of received) {
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
    socket.on("close", () => finish(agentUnavailable("the agent closed the connection before answering")))
    if (aborted(signal)) return onAbort()
    socket.write(lines)
  })

/** The request line of protocol version 1. */
export const requestLine = (id: number, version: string, request: unknown): string =>
  JSON.stringify({ v: WIRE_PROTOCOL_VERSION, id, version, request }) + "\n"
