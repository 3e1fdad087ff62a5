import * as net from "node:net"
import { credentialProcessJson } from "../Plain/CredentialProcessJson.js"
import { type DescribableFailure, describeFailure, messageText, openTty, writeAll } from "../Plain/Messages.js"
import { resolvePaths } from "../Plain/XdgPaths.js"

/**
 * The fast path of `mairu credential-process SERVER ROLE`: AWS tools run it on
 * every start, so it speaks the agent protocol with nothing but Node built-ins
 * (no Effect runtime, no CLI framework) and lets the agent look the server up.
 * It answers exactly as the full path does; for anything it does not handle
 * (other options, no agent running yet) it returns undefined and the full CLI runs.
 */

/** The protocol's version and limits, as in src/Schemas/AgentProtocol.ts (a test checks they agree). */
export const FAST_PROTOCOL_VERSION = 1
const MAX_ANSWER_BYTES = 16 * 1024 * 1024

interface Parsed {
  readonly server: string
  readonly role: string
  readonly noCache: boolean
}

const parse = (args: ReadonlyArray<string>): Parsed | undefined => {
  const noCache = args[0] === "--no-cache"
  const rest = noCache ? args.slice(1) : args
  if (rest.length !== 2 || rest.some((arg) => arg.startsWith("-"))) return undefined
  return { server: rest[0]!, role: rest[1]!, noCache }
}

type Answer =
  | { readonly kind: "line"; readonly text: string }
  | { readonly kind: "closed" }
  | { readonly kind: "not-running" }

/** Sends one line and reads the answer line; "not-running" when nothing listens. */
const ask = (socketPath: string, line: string) =>
  new Promise<Answer>((resolve) => {
    const socket = net.createConnection(socketPath)
    const chunks: Array<Buffer> = []
    let size = 0
    let connected = false
    let settled = false
    const finish = (answer: Answer) => {
      if (settled) return
      settled = true
      socket.destroy()
      resolve(answer)
    }
    socket.on("connect", () => {
      connected = true
      socket.write(line)
    })
    socket.on("data", (chunk: Buffer) => {
      const newline = chunk.indexOf(10)
      chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline))
      size += chunk.length
      if (newline !== -1) finish({ kind: "line", text: Buffer.concat(chunks).toString("utf8") })
      else if (size > MAX_ANSWER_BYTES) finish({ kind: "closed" })
    })
    socket.on("error", () => finish(connected ? { kind: "closed" } : { kind: "not-running" }))
    socket.on("close", () => finish({ kind: "closed" }))
  })

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

/** Runs the fast path; the exit code, or undefined when the full CLI must handle it. */
export const runFastCredentialProcess = async (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  version: string
): Promise<number | undefined> => {
  const parsed = parse(args)
  if (parsed === undefined) return undefined
  const paths = resolvePaths(env)
  const request = {
    v: FAST_PROTOCOL_VERSION,
    id: 1,
    version,
    request: {
      _tag: "GetCredentials",
      server: { _tag: "ServerByName", serversDir: paths.serversDir, name: parsed.server },
      role: parsed.role,
      noCache: parsed.noCache
    }
  }
  const answer = await ask(paths.socketPath, JSON.stringify(request) + "\n")
  if (answer.kind === "not-running") return undefined
  const tty = openTty()
  const tell = (text: string) => writeAll(tty ?? 2, messageText(text))
  if (answer.kind === "closed") {
    tell(describeFailure({ _tag: "AgentUnavailable", message: "the agent closed the connection before answering" }))
    return 1
  }
  let response: {
    readonly mismatch?: { readonly version: string }
    readonly notices?: ReadonlyArray<string>
    readonly exit?: { readonly _tag: string; readonly value?: Record<string, unknown>; readonly cause?: EncodedCause }
  }
  try {
    response = JSON.parse(answer.text)
  } catch {
    tell(describeFailure({ _tag: "AgentUnavailable", message: "the agent sent an answer this client cannot read" }))
    return 1
  }
  if (response.mismatch !== undefined) {
    tell(describeFailure({ _tag: "AgentVersionMismatch", agentVersion: response.mismatch.version, clientVersion: version }))
    return 1
  }
  for (const notice of response.notices ?? []) tell(notice)
  const exit = response.exit
  if (exit?._tag === "Success" && exit.value !== undefined) {
    const value = exit.value as { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: string }
    writeAll(
      1,
      credentialProcessJson({
        accessKeyId: value.accessKeyId,
        secretAccessKey: value.secretAccessKey,
        sessionToken: value.sessionToken,
        expiration: value.expiration === undefined ? undefined : new Date(value.expiration)
      }) + "\n"
    )
    return 0
  }
  const failure = firstFailure(exit?.cause)
  tell(failure !== undefined ? describeFailure(failure) : "the agent failed unexpectedly; see its log")
  return 1
}
