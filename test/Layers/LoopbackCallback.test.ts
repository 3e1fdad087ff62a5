import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { listenForCallback } from "../../src/Layers/LoopbackCallback.js"

const get = (url: string) => Effect.promise(() => fetch(url, { redirect: "manual" }))

describe("the code grant's loopback callback", () => {
  it.live("redirects the short URL, refuses a wrong state, and hands over the right callback", () =>
    Effect.gen(function*() {
      const callback = yield* listenForCallback({
        host: "127.0.0.1",
        port: undefined,
        callbackPath: "/oauth2callback",
        state: "the-state",
        authorizationUrl: (redirectUri) => `https://idp.example/authorize?redirect_uri=${encodeURIComponent(redirectUri)}`
      })
      expect(callback.shortUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/[A-Za-z0-9_-]{16}$/)
      expect(callback.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2callback$/)

      const redirect = yield* get(callback.shortUrl)
      expect(redirect.status).toBe(302)
      expect(redirect.headers.get("location")).toBe(
        `https://idp.example/authorize?redirect_uri=${encodeURIComponent(callback.redirectUri)}`
      )

      const waiting = yield* Effect.fork(callback.result)
      const forged = yield* get(`${callback.redirectUri}?code=evil&state=wrong`)
      expect(forged.status).toBe(400)
      expect(yield* Effect.promise(() => forged.text())).toContain("state mismatch")
      expect(Option.isNone(yield* Fiber.poll(waiting))).toBe(true)

      const pagePromise = fetch(`${callback.redirectUri}?code=good&state=the-state`).then((r) => r.text())
      const result = yield* Fiber.join(waiting)
      expect(result.params.get("code")).toBe("good")
      result.respond(true, "You can close this window.")
      expect(yield* Effect.promise(() => pagePromise)).toContain("You can close this window.")

      const again = yield* get(`${callback.redirectUri}?code=good&state=the-state`)
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
    }).pipe(Effect.scoped))

  it.live("answers the callback on both of the original Mairu's paths, whichever was registered", () =>
    Effect.gen(function*() {
      for (const [registered, used] of [["/oauth2callback", "/oauth/callback"], ["/oauth/callback", "/oauth2callback"]] as const) {
        const callback = yield* listenForCallback({
          host: "127.0.0.1",
          port: undefined,
          callbackPath: registered,
          state: "s",
          authorizationUrl: () => "https://idp.example/"
        })
        const base = new URL(callback.redirectUri)
        const waiting = yield* Effect.fork(callback.result)
        const pagePromise = fetch(`${base.origin}${used}?code=c&state=s`).then((r) => r.status)
        const result = yield* Fiber.join(waiting)
        expect(result.params.get("code")).toBe("c")
        result.respond(true, "ok")
        expect(yield* Effect.promise(() => pagePromise)).toBe(200)
        expect((yield* get(`${base.origin}/elsewhere?code=c&state=s`)).status).toBe(404)
      }
    }).pipe(Effect.scoped))
})
