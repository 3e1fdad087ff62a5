import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import type { AddressInfo } from "node:net"
import { createLoopbackServer, fromAnotherUser, refuseOtherUser } from "../Platform/LoopbackServer.js"
import type { Platform } from "../Platform/Platform.js"
import { randomToken } from "../RandomToken.js"
import { LoopbackUnavailable } from "./Errors.js"

export interface OneTimeRedirect {
  /** `http://127.0.0.1:PORT/RANDOM`: safe on a command line, it holds no secret. */
  readonly url: string
  /** Completes when the link has been followed. */
  readonly followed: Effect.Effect<void>
  readonly wasFollowed: Effect.Effect<boolean>
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>mairu</title></head>` +
  `<body style="font-family: sans-serif; margin: 3em"><h1>${escapeHtml(title)}</h1>` +
  `<p id="message">${escapeHtml(text)}</p></body></html>`

const sameToken = (a: string, b: string) =>
  a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b))

/**
 * A one-time link on 127.0.0.1 that redirects (302) to `target`, for as long as
 * the scope lives: the first GET from a process of this user gets the redirect,
 * every later one a page saying the link was used (`usedText`). A request from
 * another user's process (or one the system cannot show to this user) is refused
 * (403) and does not use the link up. `platform` tells who connected: this machine's
 * unless a test gives another.
 */
export const serveOneTimeRedirect = (target: Redacted.Redacted<string>, usedText: string, platform?: Platform) =>
  Effect.gen(function*() {
    const followed = Deferred.unsafeMake<void>(FiberId.none)
    const path = `/${randomToken(32)}`
    let used = false
    const server = createLoopbackServer((req, res, peer) => {
      const send = (status: number, title: string, text: string) => {
        res.writeHead(status, {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-store",
          "referrer-policy": "no-referrer"
        })
        res.end(page(title, text))
      }
      if (fromAnotherUser(peer)) {
        return refuseOtherUser(
          res,
          page("Refused", "This link belongs to another user's session."),
          "text/html; charset=utf-8"
        )
      }
      const pathname = new URL(req.url ?? "/", "http://127.0.0.1").pathname
      if (!sameToken(pathname, path)) return send(404, "Not found", "There is nothing here.")
      if (req.method !== "GET") return send(405, "Not allowed", "Open this link in your browser.")
      if (used) return send(410, "Link already used", usedText)
      used = true
      res.writeHead(302, {
        location: Redacted.value(target),
        "cache-control": "no-store",
        "referrer-policy": "no-referrer"
      })
      res.end()
      Deferred.unsafeDone(followed, Effect.void)
    }, { platform })
    const port = yield* Effect.acquireRelease(
      Effect.async<number, LoopbackUnavailable>((resume) => {
        server.once(
          "error",
          (error: NodeJS.ErrnoException) => resume(Effect.fail(new LoopbackUnavailable({ code: String(error.code) })))
        )
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.sync(() => {
          server.close()
          server.closeAllConnections()
        })
    )
    return {
      url: `http://127.0.0.1:${port}${path}`,
      followed: Deferred.await(followed),
      wasFollowed: Deferred.isDone(followed)
    } satisfies OneTimeRedirect
  })
