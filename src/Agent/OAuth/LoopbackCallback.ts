import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import type * as http from "node:http"
import type { AddressInfo } from "node:net"
import { createLoopbackServer, fromAnotherUser, refuseOtherUser } from "../../Platform/LoopbackServer.js"
import type { LoopbackPeer, Platform } from "../../Platform/Platform.js"
import { randomToken } from "../../RandomToken.js"
import { InvalidArgument, PermissionDenied } from "../../Schemas/AgentErrors.js"

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

/**
 * The authorization code the callback brought, with the browser's request still open for
 * the outcome; without one (the user or the server said no) the browser is told and the
 * login fails as not allowed. `grantor` names who did not grant it ("AWS", "The server").
 */
export const authorizationCode = (callback: LoopbackCallback, serverId: string, grantor: string) =>
  Effect.gen(function*() {
    const { params, respond } = yield* callback.result
    const code = params.get("code")
    if (code !== null) return { code, respond }
    const error = params.get("error") ?? "no code"
    const description = params.get("error_description")
    respond(false, `${grantor} did not grant access: ${error}${description === null ? "" : ` (${description})`}.`)
    return yield* new PermissionDenied({ message: `${serverId} did not grant access: ${error}` })
  })

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const page = (ok: boolean, text: string, title: string = ok ? "Logged in" : "Login failed") =>
  `<!doctype html><html><head><meta charset="utf-8"><title>mairu</title></head>` +
  `<body style="font-family: sans-serif; margin: 3em"><h1>${escapeHtml(title)}</h1>` +
  `<p id="message">${escapeHtml(text)}</p></body></html>`

/** Both redirect paths the original Mairu answers on, whichever one a client was registered with. */
const CALLBACK_PATHS = new Set(["/oauth/callback", "/oauth2callback"])

/** The value of cookie `name` in a Cookie header, if there. */
const cookieValue = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=")
    if (key === name) return value.join("=")
  }
  return undefined
}

const listen = (server: http.Server, port: number, address: string) =>
  new Promise<number | NodeJS.ErrnoException>((resolve) => {
    const onError = (error: NodeJS.ErrnoException) => resolve(error)
    server.once("error", onError)
    server.listen({ port, host: address, ipv6Only: address === "::1" }, () => {
      server.off("error", onError)
      resolve((server.address() as AddressInfo).port)
    })
  })

const close = (server: http.Server) => {
  server.close()
  server.closeIdleConnections()
}

/** No IPv6 loopback here: then nobody can take [::1] either. */
const NO_IPV6 = new Set(["EADDRNOTAVAIL", "EAFNOSUPPORT"])

/**
 * The loopback server of an OAuth code grant (RFC 8252): listens on 127.0.0.1 (and
 * on [::1] at the same port for `localhost`, so that no other local user can take it)
 * for as long as the scope lives. Only the user's own processes are answered: another
 * local user (who may read the short URL on the browser opener's command line) gets
 * 403 and learns nothing, not even whether the login is still open. The short URL works once: it redirects to `authorizationUrl` and
 * sets a cookie (HttpOnly, SameSite=Lax, on the redirect URI's host); opened again, it
 * only says the login is in progress. The first callback whose `state` matches and
 * that carries the cookie, so comes from the browser that opened the short URL, is
 * handed over.
 */
export const listenForCallback = (options: {
  readonly host: "127.0.0.1" | "localhost"
  readonly port: number | undefined
  readonly callbackPath: string
  readonly state: string
  readonly authorizationUrl: (redirectUri: string) => string
  /** Who tells the user at the other end of a connection; this machine's platform unless a test gives another. */
  readonly platform?: Platform
}) =>
  Effect.gen(function*() {
    const result = Deferred.unsafeMake<CallbackResult>(FiberId.none)
    const shortPath = `/auth/${randomToken(12)}`
    let authorizationUrl = ""
    let answered = false
    let cookieName = "mairu_login"
    const browserKey = randomToken(16)
    let shortUrlUsed = false
    const handler = (req: http.IncomingMessage, res: http.ServerResponse, peer: LoopbackPeer) => {
      if (fromAnotherUser(peer)) {
        refuseOtherUser(
          res,
          page(false, "This login belongs to another user.", "Refused"),
          "text/html; charset=utf-8"
        )
        return
      }
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const send = (status: number, body: string) => {
        res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" })
        res.end(body)
      }
      if (req.method === "GET" && url.pathname === shortPath) {
        if (shortUrlUsed) {
          send(
            409,
            page(
              false,
              "This login link was opened already and the login is in progress there. " +
                "If that was not you, someone else opened it: stop the login (Ctrl-C where mairu waits) and start it again.",
              "Login already in progress"
            )
          )
          return
        }
        shortUrlUsed = true
        res.writeHead(302, {
          location: authorizationUrl,
          "cache-control": "no-store",
          "set-cookie": `${cookieName}=${browserKey}; Path=/; HttpOnly; SameSite=Lax`
        })
        res.end()
      } else if (req.method === "GET" && (url.pathname === options.callbackPath || CALLBACK_PATHS.has(url.pathname))) {
        if (url.searchParams.get("state") !== options.state) {
          send(400, page(false, "This login link is stale or forged (state mismatch). Start the login again."))
          return
        }
        if (cookieValue(req.headers.cookie, cookieName) !== browserKey) {
          send(
            403,
            page(
              false,
              "This login was started in another browser: finish it in the browser that opened " +
                "mairu's login link, or start the login again."
            )
          )
          return
        }
        if (answered) {
          send(400, page(false, "This login has already been completed."))
          return
        }
        answered = true
        Deferred.unsafeDone(
          result,
          Effect.succeed({
            params: url.searchParams,
            respond: (ok: boolean, text: string) => send(ok ? 200 : 400, page(ok, text))
          })
        )
      } else {
        send(404, page(false, "Not found."))
      }
    }
    const servers: Array<http.Server> = []
    const port = yield* Effect.acquireRelease(
      Effect.promise(() => bindAll(options.host, options.port, handler, servers, options.platform)),
      () => Effect.sync(() => servers.forEach(close))
    ).pipe(Effect.flatMap((bound) => typeof bound === "number" ? Effect.succeed(bound) : Effect.fail(bound)))
    // Cookies ignore ports: one name per port keeps two logins in one browser apart.
    cookieName = `mairu_login_${port}`
    const redirectUri = `http://${options.host}:${port}${options.callbackPath}`
    authorizationUrl = options.authorizationUrl(redirectUri)
    return {
      shortUrl: `http://${options.host}:${port}${shortPath}`,
      redirectUri,
      result: Deferred.await(result)
    } satisfies LoopbackCallback
  })

/**
 * Listens on 127.0.0.1 at `port` (any free one when undefined), and for `localhost`
 * also on [::1] at the same port; a random port taken on [::1] is tried again.
 */
const bindAll = async (
  host: "127.0.0.1" | "localhost",
  port: number | undefined,
  handler: (req: http.IncomingMessage, res: http.ServerResponse, peer: LoopbackPeer) => void,
  servers: Array<http.Server>,
  platform: Platform | undefined
): Promise<number | InvalidArgument> => {
  const release = () =>
    Promise.all(
      servers.splice(0).map((server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeIdleConnections()
        })
      )
    )
  const failed = async (address: string, at: number, error: NodeJS.ErrnoException) => {
    await release()
    return new InvalidArgument({
      message: `cannot listen for the login callback on ${address}:${at} (${error.code}); ` +
        `free that port or choose another with MAIRU_LOCAL_PORT`
    })
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const v4 = createLoopbackServer(handler, { platform })
    servers.push(v4)
    const bound = await listen(v4, port ?? 0, "127.0.0.1")
    if (typeof bound !== "number") return failed("127.0.0.1", port ?? 0, bound)
    if (host !== "localhost") return bound
    const v6 = createLoopbackServer(handler, { platform })
    servers.push(v6)
    const also = await listen(v6, bound, "::1")
    if (typeof also === "number" || NO_IPV6.has(also.code ?? "")) return bound
    if (port !== undefined || also.code !== "EADDRINUSE") return failed("[::1]", bound, also)
    await release()
  }
  return new InvalidArgument({ message: "cannot find a free port for the login callback on both 127.0.0.1 and [::1]" })
}
