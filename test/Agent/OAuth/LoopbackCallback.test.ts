import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { listenForCallback } from "../../../src/Agent/OAuth/LoopbackCallback.js"

const get = (url: string, cookie?: string) =>
  Effect.promise(() => fetch(url, { redirect: "manual", ...(cookie === undefined ? {} : { headers: { cookie } }) }))

/** `name=value` of the cookie set by `response`. */
const cookieOf = (response: Response) => response.headers.get("set-cookie")!.split(";")[0]!

describe("the code grant's loopback callback", () => {
  it.live("redirects the short URL, refuses a wrong state, and hands over the right callback", () =>
    Effect.gen(function*() {
      const callback = yield* listenForCallback({
        host: "127.0.0.1",
        port: undefined,
        callbackPath: "/oauth2callback",
        state: "the-state",
        authorizationUrl: (redirectUri) =>
          `https://idp.example/authorize?redirect_uri=${encodeURIComponent(redirectUri)}`
      })
      expect(callback.shortUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/[A-Za-z0-9_-]{16}$/)
      expect(callback.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2callback$/)

      const redirect = yield* get(callback.shortUrl)
      expect(redirect.status).toBe(302)
      expect(redirect.headers.get("location")).toBe(
        `https://idp.example/authorize?redirect_uri=${encodeURIComponent(callback.redirectUri)}`
      )

      const setCookie = redirect.headers.get("set-cookie")!
      expect(setCookie).toMatch(/^mairu_login_\d+=[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; SameSite=Lax$/)
      const cookie = cookieOf(redirect)

      // The short URL works once: opened again, it only says the login is in progress.
      const reused = yield* get(callback.shortUrl)
      expect(reused.status).toBe(409)
      expect(reused.headers.get("location")).toBeNull()
      expect(reused.headers.get("set-cookie")).toBeNull()
      expect(yield* Effect.promise(() => reused.text())).toContain("Login already in progress")

      const waiting = yield* Effect.fork(callback.result)
      // A callback from another browser (without the cookie) is refused and does not use up the login.
      const foreign = yield* get(`${callback.redirectUri}?code=evil&state=the-state`)
      expect(foreign.status).toBe(403)
      expect(yield* Effect.promise(() => foreign.text())).toContain("started in another browser")
      const wrongCookie = yield* get(
        `${callback.redirectUri}?code=evil&state=the-state`,
        cookie.replace(/=.*/, "=guess")
      )
      expect(wrongCookie.status).toBe(403)
      expect(Option.isNone(yield* Fiber.poll(waiting))).toBe(true)
      const forged = yield* get(`${callback.redirectUri}?code=evil&state=wrong`, cookie)
      expect(forged.status).toBe(400)
      expect(yield* Effect.promise(() => forged.text())).toContain("state mismatch")
      expect(Option.isNone(yield* Fiber.poll(waiting))).toBe(true)

      const pagePromise = fetch(`${callback.redirectUri}?code=good&state=the-state`, { headers: { cookie } }).then((
        r
      ) => r.text())
      const result = yield* Fiber.join(waiting)
      expect(result.params.get("code")).toBe("good")
      result.respond(true, "You can close this window.")
      expect(yield* Effect.promise(() => pagePromise)).toContain("You can close this window.")

      const again = yield* get(`${callback.redirectUri}?code=good&state=the-state`, cookie)
      expect(again.status).toBe(400)
    }).pipe(Effect.scoped))

  it.live("uses localhost in the URLs when asked, and the configured port", () =>
    Effect.gen(function*() {
      const port = 20000 + Math.floor(Math.random() * 20000)
      const callback = yield* listenForCallback({
        host: "localhost",
        port,
        callbackPath: "/oauth2callback",
        state: "s",
        authorizationUrl: () => "https://idp.example/"
      })
      expect(callback.redirectUri).toBe(`http://localhost:${port}/oauth2callback`)
      expect(callback.shortUrl.startsWith(`http://localhost:${port}/auth/`)).toBe(true)
      const busy = yield* Effect.flip(listenForCallback({
        host: "127.0.0.1",
        port,
        callbackPath: "/oauth2callback",
        state: "s",
        authorizationUrl: () => "https://idp.example/"
      }))
      expect(busy.message).toContain("MAIRU_LOCAL_PORT")
      // Both loopback addresses that "localhost" may mean are taken, so no other user can take [::1].
      for (const host of ["127.0.0.1", "[::1]"]) {
        const answer = yield* get(`http://${host}:${port}/oauth2callback?state=s`)
        expect(answer.status).toBe(403)
      }
    }).pipe(Effect.scoped))

  it.live("fails clearly when [::1] is taken at the port for localhost", () =>
    Effect.gen(function*() {
      const other = http.createServer()
      const port = yield* Effect.promise(() =>
        new Promise<number>((resolve) =>
          other.listen({ port: 0, host: "::1", ipv6Only: true }, () => resolve((other.address() as AddressInfo).port))
        )
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => other.close()))
      const busy = yield* Effect.flip(listenForCallback({
        host: "localhost",
        port,
        callbackPath: "/oauth2callback",
        state: "s",
        authorizationUrl: () => "https://idp.example/"
      }))
      expect(busy.message).toBe(
        `cannot listen for the login callback on [::1]:${port} (EADDRINUSE); free that port or choose another with MAIRU_LOCAL_PORT`
      )
      // 127.0.0.1 was let go again.
      const free = http.createServer()
      yield* Effect.promise(() => new Promise<void>((resolve) => free.listen(port, "127.0.0.1", () => resolve())))
      free.close()
    }).pipe(Effect.scoped))

  it.live("answers the callback on both of the original Mairu's paths, whichever was registered", () =>
    Effect.gen(function*() {
      for (
        const [registered, used] of [["/oauth2callback", "/oauth/callback"], [
          "/oauth/callback",
          "/oauth2callback"
        ]] as const
      ) {
        const callback = yield* listenForCallback({
          host: "127.0.0.1",
          port: undefined,
          callbackPath: registered,
          state: "s",
          authorizationUrl: () => "https://idp.example/"
        })
        const base = new URL(callback.redirectUri)
        // The browser opens the short URL first and gets the cookie the callback must carry.
        const cookie = cookieOf(yield* get(callback.shortUrl))
        const waiting = yield* Effect.fork(callback.result)
        const pagePromise = fetch(`${base.origin}${used}?code=c&state=s`, { headers: { cookie } }).then((r) => r.status)
        const result = yield* Fiber.join(waiting)
        expect(result.params.get("code")).toBe("c")
        result.respond(true, "ok")
        expect(yield* Effect.promise(() => pagePromise)).toBe(200)
        expect((yield* get(`${base.origin}/elsewhere?code=c&state=s`)).status).toBe(404)
      }
    }).pipe(Effect.scoped))
})
