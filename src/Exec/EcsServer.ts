import * as crypto from "node:crypto"
import type { AddressInfo } from "node:net"
import { type Expiring, type Obtained, servedFromCache } from "../Credentials/CachePolicy.js"
import { formatExpiration } from "../Credentials/CredentialProcessJson.js"
import { createLoopbackServer } from "../Platform/LoopbackServer.js"

/**
 * The container-credentials endpoint of one `exec` (ecs mode) on 127.0.0.1: a
 * fresh 256-bit token compared in constant time, one fetch for any number of
 * concurrent requests, an error status (never stale credentials) when the fetch
 * fails. Other local users can connect, but not hold enough connections to keep the
 * command's own requests out (a container of the user's may run as another uid, so
 * they are capped, not refused). EcsEndpointLive wraps it; the fast exec path uses it as is.
 */

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
  readonly close: () => void
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
  fetch: () => Promise<Obtained<EcsCredentials, E>>,
  options: {
    /** Answer from the last credentials while the agent would still serve them from its cache. */
    readonly reuse: boolean
  }
): Promise<EcsServer> => {
  const token = crypto.randomBytes(32).toString("base64url")
  const tokenBytes = Buffer.from(token)
  const path = `/mairu/credentials/${crypto.randomBytes(8).toString("hex")}`
  let inFlight: Promise<EcsCredentials | undefined> | undefined
  let last: EcsCredentials | undefined

  // The same rule as the agent's cache, so no request waits on the agent while it would answer from memory.
  /** The credentials to answer with; undefined when they cannot be had (the fetch told the user why). */
  const shared = (): Promise<EcsCredentials | undefined> => {
    if (options.reuse && last !== undefined && servedFromCache(last, Date.now())) return Promise.resolve(last)
    if (inFlight === undefined) {
      inFlight = fetch().then((result) => result.ok ? result.value : undefined, () => undefined).then((result) => {
        last = result
        inFlight = undefined
        return result
      })
    }
    return inFlight
  }

  const server = createLoopbackServer((req, res) => {
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
    void shared().then((credentials) =>
      credentials !== undefined
        ? reply(200, body(credentials))
        : reply(
          503,
          JSON.stringify({
            code: "CredentialsUnavailable",
            message: "mairu cannot get credentials now; see its terminal"
          })
        )
    )
  })
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
        }
      })
    })
  })
}
