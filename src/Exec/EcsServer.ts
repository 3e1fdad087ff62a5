import * as crypto from "node:crypto"
import type { AddressInfo, Socket } from "node:net"
import { type Expiring, type Obtained, servedFromCache } from "../Credentials/CachePolicy.js"
import { formatExpiration } from "../Credentials/CredentialProcessJson.js"
import { createLoopbackServer } from "../Platform/LoopbackServer.js"
import type { LoopbackPeer, Platform } from "../Platform/Platform.js"
import type { ReportedRequester } from "../Schemas/Audit.js"
import { MAX_HAND_OUTS_PER_RECORD } from "../Schemas/ProtocolVersion.js"
import { makeRequesterLookup } from "./EcsRequester.js"

/**
 * The container-credentials endpoint of one `exec` (ecs mode) on 127.0.0.1: a
 * fresh 256-bit token compared in constant time, one fetch for any number of
 * concurrent requests, an error status (never stale credentials) when the fetch
 * fails. Other local users can connect, but not hold enough connections to keep the
 * command's own requests out (a container of the user's may run as another uid, so
 * they are capped, not refused). EcsEndpointLive wraps it; the fast exec path uses it as is.
 *
 * Every answer with credentials reaches the agent's audit trail, with the process
 * that asked (found with its user once per connection, as it is accepted, among the
 * command's processes first; described before its first answer): the request that
 * starts a fetch names it in the fetch; the others (answered from the last
 * credentials, or from a fetch another request started) are told afterwards, in
 * batches, one at a time.
 */

/** An answer with credentials the agent was not asked for. */
export interface EcsHandOut {
  readonly at: Date
  readonly accessKeyId: string
  readonly requester: ReportedRequester
}

/** Hand-outs waiting to be told at most; beyond them they are only counted. */
const MAX_WAITING = 1_000

/** How long hand-outs wait to be told, with the others that come meanwhile. */
const RECORD_DELAY_MS = 20

/** How long closing waits for the last hand-outs to be told. */
const DRAIN_MS = 2_000

export interface EcsCredentials extends Expiring {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string | undefined
}

export interface EcsServer {
  /** `http://127.0.0.1:PORT/…`, for AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  readonly url: string
  /** For AWS_CONTAINER_AUTHORIZATION_TOKEN. */
  readonly token: string
  /** Drops the last credentials, so that the next request asks the agent (the session ended). */
  readonly forget: () => void
  /** Stops serving; resolves once the hand-outs not yet told have been (or after a moment). */
  readonly close: () => Promise<void>
}

const FALLBACK_LIFETIME_MS = 60 * 60 * 1000

/** The container-credentials JSON; the AWS CLI needs every field, `Token` included. */
const body = (credentials: EcsCredentials) =>
  JSON.stringify({
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    Token: credentials.sessionToken ?? "",
    Expiration: formatExpiration(credentials.expiration ?? new Date(Date.now() + FALLBACK_LIFETIME_MS))
  })

const authorized = (header: string | undefined, token: Buffer) => {
  if (header === undefined) return false
  const given = Buffer.from(header)
  return given.length === token.length && crypto.timingSafeEqual(given, token)
}

export const startEcsServer = <E>(
  /** Asks the agent, on behalf of `requester`. */
  fetch: (requester: ReportedRequester) => Promise<Obtained<EcsCredentials, E>>,
  options: {
    /** Answer from the last credentials while the agent would still serve them from its cache. */
    readonly reuse: boolean
    /** Tells the agent of hand-outs it was not asked for; `unrecorded` of them could not wait. */
    readonly record: (handOuts: ReadonlyArray<EcsHandOut>, unrecorded: number) => Promise<void>
    /** Who tells the process behind a connection; this machine's platform unless a test gives another. */
    readonly platform?: Platform | undefined
  }
): Promise<EcsServer> => {
  const token = crypto.randomBytes(32).toString("base64url")
  const tokenBytes = Buffer.from(token)
  const path = `/mairu/credentials/${crypto.randomBytes(8).toString("hex")}`
  let inFlight: Promise<EcsCredentials | undefined> | undefined
  let last: EcsCredentials | undefined

  // The same rule as the agent's cache, so no request waits on the agent while it would answer from memory.
  /**
   * The credentials to answer with, and whether the agent was asked for them on behalf of
   * `requester`; undefined when they cannot be had (the fetch told the user why).
   */
  const shared = (
    requester: ReportedRequester
  ): Promise<{ readonly credentials: EcsCredentials | undefined; readonly asked: boolean }> => {
    if (options.reuse && last !== undefined && servedFromCache(last, Date.now())) {
      return Promise.resolve({ credentials: last, asked: false })
    }
    if (inFlight !== undefined) return inFlight.then((credentials) => ({ credentials, asked: false }))
    const fetched = fetch(requester).then((result) => result.ok ? result.value : undefined, () => undefined).then(
      (result) => {
        last = result
        inFlight = undefined
        return result
      }
    )
    inFlight = fetched
    return fetched.then((credentials) => ({ credentials, asked: true }))
  }

  const requesterOf = makeRequesterLookup(token, options.platform)
  const requesters = new WeakMap<Socket, Promise<ReportedRequester>>()
  /** Described once per connection: the process cannot change, and describing costs more than answering. */
  const requesterOn = (socket: Socket, peer: LoopbackPeer) => {
    let requester = requesters.get(socket)
    if (requester === undefined) {
      requester = requesterOf(peer)
      requesters.set(socket, requester)
    }
    return requester
  }

  const waiting: Array<EcsHandOut> = []
  let unrecorded = 0
  let sending: Promise<void> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const send = () => {
    timer = undefined
    if (sending !== undefined || (waiting.length === 0 && unrecorded === 0)) return
    const batch = waiting.splice(0, MAX_HAND_OUTS_PER_RECORD)
    const lost = unrecorded
    unrecorded = 0
    sending = options.record(batch, lost).catch(() => undefined).then(() => {
      sending = undefined
      if (waiting.length > 0 || unrecorded > 0) later()
    })
  }
  /** Hand-outs are told a moment later, so that a burst of them goes to the agent in one request. */
  const later = () => {
    timer ??= setTimeout(send, RECORD_DELAY_MS)
  }
  const tell = (handOut: EcsHandOut) => {
    if (waiting.length < MAX_WAITING) waiting.push(handOut)
    else unrecorded++
    if (sending === undefined) later()
  }
  /** Tells what is left at once, and waits (a moment at most) until it has been told. */
  const drained = async () => {
    const deadline = Date.now() + DRAIN_MS
    while ((sending !== undefined || waiting.length > 0 || unrecorded > 0) && Date.now() < deadline) {
      if (timer !== undefined) clearTimeout(timer)
      send()
      await Promise.race([sending, new Promise((resolve) => setTimeout(resolve, deadline - Date.now()).unref())])
    }
  }

  const server = createLoopbackServer((req, res, peer) => {
    const reply = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" })
      res.end(text)
    }
    if (!authorized(req.headers.authorization, tokenBytes)) {
      return reply(401, JSON.stringify({ code: "Unauthorized", message: "missing or wrong authorization token" }))
    }
    if (req.method !== "GET" || req.url !== path) {
      return reply(404, JSON.stringify({ code: "NotFound", message: "no such resource" }))
    }
    void requesterOn(req.socket, peer).then(async (requester) => {
      const { asked, credentials } = await shared(requester)
      if (credentials === undefined) {
        return reply(
          503,
          JSON.stringify({
            code: "CredentialsUnavailable",
            message: "mairu cannot get credentials now; see its terminal"
          })
        )
      }
      reply(200, body(credentials))
      if (!asked) tell({ at: new Date(), accessKeyId: credentials.accessKeyId, requester })
    })
  }, { peer: { pid: { descendantsOf: process.pid } }, platform: options.platform })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
        token,
        forget: () => {
          last = undefined
        },
        close: () => {
          server.close()
          server.closeAllConnections()
          return drained()
        }
      })
    })
  })
}
