import type * as net from "node:net"
import { connectOrStart } from "../Launcher/AgentLauncher.js"
import type { AgentRequest } from "../Schemas/AgentProtocol.js"
import type { DescribableFailure } from "../Terminal/Messages.js"
import {
  agentUnavailable,
  type AgentUnavailableFailure,
  connect,
  exchange,
  requestLine,
  type WireAnswer
} from "../Wire/AgentWire.js"

/** What the agent answered to one request, as the fast paths read it. */
export type AgentResult<A> =
  | { readonly ok: true; readonly value: A; readonly notices: ReadonlyArray<string> }
  | { readonly ok: false; readonly failure: DescribableFailure; readonly notices: ReadonlyArray<string> }

interface EncodedCause {
  readonly _tag: string
  readonly error?: unknown
  readonly left?: EncodedCause
  readonly right?: EncodedCause
}

/** The first typed failure in an encoded Cause. */
const firstFailure = (cause: EncodedCause | undefined): DescribableFailure | undefined => {
  if (cause === undefined) return undefined
  if (cause._tag === "Fail") return cause.error as DescribableFailure
  return firstFailure(cause.left) ?? firstFailure(cause.right)
}

/** Reads an answer line the way AgentClientLive does, without its schemas. */
export const readAnswer = <A>(answer: WireAnswer, clientVersion: string): AgentResult<A> => {
  const notices = answer.notices ?? []
  if (answer.mismatch !== undefined) {
    return {
      ok: false,
      failure: { _tag: "AgentVersionMismatch", agentVersion: answer.mismatch.version, clientVersion },
      notices
    }
  }
  const exit = answer.exit as { readonly _tag?: string; readonly value?: A; readonly cause?: EncodedCause } | undefined
  if (exit?._tag === "Success" && exit.value !== undefined) return { ok: true, value: exit.value, notices }
  const failure = firstFailure(exit?.cause) ?? agentUnavailable("the agent failed unexpectedly; see its log")
  return { ok: false, failure, notices }
}

/** A request of the agent protocol as it is encoded on the wire (a type only: the schemas are not loaded). */
export type EncodedRequest = typeof AgentRequest.Encoded

export interface Answered {
  readonly _tag: "Answered"
  /** One result per request, in order. */
  readonly results: ReadonlyArray<AgentResult<unknown>>
}

/**
 * Sends `requests` on one connection (the agent answers them concurrently) and reads
 * every answer. "not-running" when no agent listens and `start` is false.
 */
export const callAgent = async (
  socketPath: string,
  requests: ReadonlyArray<EncodedRequest>,
  options: {
    readonly version: string
    readonly start: boolean
    readonly env: NodeJS.ProcessEnv
    readonly signal?: AbortSignal
  }
): Promise<Answered | AgentUnavailableFailure | "not-running"> => {
  let socket: net.Socket | AgentUnavailableFailure
  if (options.start) {
    socket = await connectOrStart(socketPath, options.env, options.signal)
  } else {
    const connection = await connect(socketPath)
    if (connection._tag === "NotRunning") return "not-running"
    if (connection._tag === "Untrusted") return agentUnavailable(`refusing the agent socket: ${connection.message}`)
    socket = connection.socket
  }
  if (!("write" in socket)) return socket
  const ids = requests.map((_, index) => index + 1)
  const lines = requests.map((request, index) => requestLine(ids[index]!, options.version, request)).join("")
  const answers = await exchange(socket, lines, ids, options.signal)
  if ("_tag" in answers) return answers
  return { _tag: "Answered", results: answers.map((answer) => readAnswer(answer, options.version)) }
}
