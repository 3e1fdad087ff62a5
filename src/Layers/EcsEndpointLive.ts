import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import * as crypto from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { type AwsCredentials, formatExpiration } from "../Schemas/Credentials.js"
import { MIN_REMAINING_MS } from "../Services/CredentialCache.js"
import { EcsEndpoint } from "../Services/EcsEndpoint.js"

const FALLBACK_LIFETIME_MS = 60 * 60 * 1000

/** The container-credentials JSON; the AWS CLI needs every field, `Token` included. */
const body = (credentials: AwsCredentials) =>
  JSON.stringify({
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: Redacted.value(credentials.secretAccessKey),
    Token: credentials.sessionToken === undefined ? "" : Redacted.value(credentials.sessionToken),
    Expiration: formatExpiration(credentials.expiration ?? new Date(Date.now() + FALLBACK_LIFETIME_MS))
  })

const authorized = (header: string | undefined, token: Buffer) => {
  if (header === undefined) return false
  const given = Buffer.from(header)
  return given.length === token.length && crypto.timingSafeEqual(given, token)
}

export const EcsEndpointLive = Layer.succeed(EcsEndpoint, {
  serve: <E>(
    fetch: Effect.Effect<AwsCredentials, E>,
    onError: (error: E) => Effect.Effect<void>,
    options: { readonly reuse: boolean }
  ) =>
    Effect.gen(function*() {
      const runPromise = Runtime.runPromiseExit(yield* Effect.runtime<never>())
      const token = crypto.randomBytes(32).toString("base64url")
      const tokenBytes = Buffer.from(token)
      const path = `/mairu/credentials/${crypto.randomBytes(8).toString("hex")}`
      let inFlight: Promise<Exit.Exit<AwsCredentials, E>> | undefined
      let last: Exit.Exit<AwsCredentials, E> | undefined

      // The same rule as the agent's cache, so no request waits on the agent while it would answer from memory.
      const reusable = () =>
        options.reuse && last !== undefined && Exit.isSuccess(last) && !last.value.noCache &&
        last.value.expiration !== undefined && last.value.expiration.getTime() - Date.now() > MIN_REMAINING_MS

      const shared = (): Promise<Exit.Exit<AwsCredentials, E>> => {
        if (reusable()) return Promise.resolve(last!)
        if (inFlight === undefined) {
          inFlight = runPromise(fetch.pipe(Effect.tapError(onError))).then((exit) => {
            last = exit
            inFlight = undefined
            return exit
          })
        }
        return inFlight
      }

      const server = http.createServer((req, res) => {
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
        void shared().then((exit) =>
          Exit.isSuccess(exit)
            ? reply(200, body(exit.value))
            : reply(503, JSON.stringify({ code: "CredentialsUnavailable", message: "mairu cannot get credentials now; see its terminal" }))
        )
      })
      server.keepAliveTimeout = 1000
      const port = yield* Effect.acquireRelease(
        Effect.async<number>((resume) => {
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
        }),
        () =>
          Effect.sync(() => {
            server.close()
            server.closeAllConnections()
          })
      )
      return { url: `http://127.0.0.1:${port}${path}`, token: Redacted.make(token) }
    })
})
