import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { mairuApiStartLogin } from "../../src/Layers/MairuApiOAuth.js"
import type { OAuthConfig, ServerConfig } from "../../src/Schemas/ServerConfig.js"

const oauth: OAuthConfig = {
  clientId: "mairu-test",
  clientSecret: undefined,
  tokenEndpoint: "https://idp.example/oauth/token",
  scope: ["profile"],
  deviceGrant: { deviceAuthorizationEndpoint: "https://idp.example/oauth/device" },
  codeGrant: undefined,
  defaultGrantType: "device_grant"
}
const server: ServerConfig = { _tag: "MairuApi", id: "idp", url: "https://idp.example/", path: "/x/idp.json", oauth }

/** An in-memory token server: answers the device endpoint, then `answers` in turn, and records when it was polled. */
const fakeIdp = (answers: Array<{ status: number; body: object }>) => {
  const polls: Array<{ at: number; body: string }> = []
  const client = HttpClient.make((request) =>
    Effect.gen(function*() {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      const json = (status: number, value: object) =>
        HttpClientResponse.fromWeb(request, new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } }))
      if (request.url.endsWith("/oauth/device")) {
        return json(200, {
          device_code: "dc",
          user_code: "ABCD-EFGH",
          verification_uri: "https://idp.example/device",
          expires_in: 600,
          interval: 5
        })
      }
      polls.push({ at: yield* Clock.currentTimeMillis, body })
      const next = answers.shift() ?? { status: 500, body: {} }
      return json(next.status, next.body)
    })
  )
  return { layer: HttpClient.HttpClient.context(client), polls }
}

describe("device grant", () => {
  it.scoped("keeps polling on authorization_pending and slows down by 5 s on slow_down", () =>
    Effect.gen(function*() {
      const idp = fakeIdp([
        { status: 400, body: { error: "authorization_pending" } },
        { status: 400, body: { error: "slow_down" } },
        { status: 400, body: { error: "authorization_pending" } },
        { status: 200, body: { access_token: "at", refresh_token: "rt", expires_in: 3600, token_type: "Bearer" } }
      ])
      const grant = yield* mairuApiStartLogin(server, oauth, undefined).pipe(Effect.provide(idp.layer))
      expect(grant.challenge).toMatchObject({ _tag: "DeviceGrant", userCode: "ABCD-EFGH" })
      const fiber = yield* Effect.fork(grant.tokens)
      for (let i = 0; i < 40; i++) yield* TestClock.adjust("1 second")
      const tokens = yield* Fiber.join(fiber)
      expect(Redacted.value(tokens.accessToken)).toBe("at")
      expect(Redacted.value(tokens.refreshToken!)).toBe("rt")
      const gaps = idp.polls.map((p, i) => (i === 0 ? p.at : p.at - idp.polls[i - 1]!.at) / 1000)
      expect(gaps).toEqual([5, 5, 10, 10])
      expect(idp.polls[0]!.body).toContain("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code")
      expect(idp.polls[0]!.body).toContain("client_id=mairu-test")
    }))

  it.scoped("fails on access_denied and on any other error", () =>
    Effect.gen(function*() {
      const denied = fakeIdp([{ status: 400, body: { error: "access_denied" } }])
      const grant = yield* mairuApiStartLogin(server, oauth, undefined).pipe(Effect.provide(denied.layer))
      const fiber = yield* Effect.fork(Effect.flip(grant.tokens))
      yield* TestClock.adjust("5 seconds")
      expect((yield* Fiber.join(fiber))._tag).toBe("PermissionDenied")

      const broken = fakeIdp([{ status: 400, body: { error: "invalid_client", error_description: "who?" } }])
      const grant2 = yield* mairuApiStartLogin(server, oauth, undefined).pipe(Effect.provide(broken.layer))
      const fiber2 = yield* Effect.fork(Effect.flip(grant2.tokens))
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber2)
      expect(error._tag).toBe("Unknown")
      expect(error.message).toContain("invalid_client: who?")
    }))

  it.scoped("refuses a grant the server does not offer", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(mairuApiStartLogin(server, oauth, "code_grant")).pipe(
        Effect.provide(fakeIdp([]).layer)
      )
      expect(error._tag).toBe("InvalidArgument")
      expect(error.message).toContain("does not offer the code grant")
    }))
})
