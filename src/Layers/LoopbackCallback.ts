import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { InvalidArgument } from "../Schemas/AgentErrors.js"
import { randomToken } from "./Pkce.js"

/** What the authorization server sent back to the redirect URI. */
export interface CallbackResult {
  readonly params: URLSearchParams
  /** Finishes the browser's request with a page saying how the login ended. */
  readonly respond: (ok: boolean, text: string) => void
}

export interface LoopbackCallback {
  /** `http://HOST:PORT/auth/RANDOM`, which redirects to the authorization URL. */
  readonly shortUrl: string
  readonly redirectUri: string
  readonly result: Effect.Effect<CallbackResult>
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const page = (ok: boolean, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>mairu</title></head>` +
  `<body style="font-family: sans-serif; margin: 3em"><h1>${ok ? "Logged in" : "Login failed"}</h1>` +
  `<p id="message">${escapeHtml(text)}</p></body></html>`

/** Both redirect paths the original Mairu answers on, whichever one a client was registered with. */
const CALLBACK_PATHS = new Set(["/oauth/callback", "/oauth2callback"])

/**
 * The loopback server of an OAuth code grant (RFC 8252): listens on 127.0.0.1
 * for as long as the scope lives, redirects the short URL to `authorizationUrl`,
 * and hands over the first callback whose `state` matches.
 */
export const listenForCallback = (options: {
  readonly host: "127.0.0.1" | "localhost"
  readonly port: number | undefined
  readonly callbackPath: string
  readonly state: string
  readonly authorizationUrl: (redirectUri: string) => string
}) =>
  Effect.gen(function*() {
    const result = Deferred.unsafeMake<CallbackResult>(FiberId.none)
    const shortPath = `/auth/${randomToken(12)}`
    let authorizationUrl = ""
    let answered = false
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const send = (status: number, body: string) => {
        res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
        res.end(body)
      }
      if (req.method === "GET" && url.pathname === shortPath) {
        res.writeHead(302, { location: authorizationUrl, "cache-control": "no-store" })
        res.end()
      } else if (req.method === "GET" && (url.pathname === options.callbackPath || CALLBACK_PATHS.has(url.pathname))) {
        if (url.searchParams.get("state") !== options.state) {
          send(400, page(false, "This login link is stale or forged (state mismatch). Start the login again."))
          return
        }
        if (answered) {
          send(400, page(false, "This login has already been completed."))
          return
        }
        answered = true
        Deferred.unsafeDone(result, Effect.succeed({
          params: url.searchParams,
          respond: (ok: boolean, text: string) => send(ok ? 200 : 400, page(ok, text))
        }))
      } else {
        send(404, page(false, "Not found."))
      }
    })
    const port = yield* Effect.acquireRelease(
      Effect.async<number, InvalidArgument>((resume) => {
        server.once("error", (error: NodeJS.ErrnoException) =>
          resume(Effect.fail(new InvalidArgument({
            message: `cannot listen for the login callback on 127.0.0.1:${options.port ?? 0} (${error.code}); ` +
              `free that port or choose another with MAIRU_LOCAL_PORT`
          }))))
        server.listen(options.port ?? 0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () => Effect.sync(() => {
        server.close()
        server.closeIdleConnections()
      })
    )
    const redirectUri = `http://${options.host}:${port}${options.callbackPath}`
    authorizationUrl = options.authorizationUrl(redirectUri)
    return {
      shortUrl: `http://${options.host}:${port}${shortPath}`,
      redirectUri,
      result: Deferred.await(result)
    } satisfies LoopbackCallback
  })
