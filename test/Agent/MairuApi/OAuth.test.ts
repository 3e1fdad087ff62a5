import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { KnownSecretsLive } from "../../../src/Agent/Layers/KnownSecretsLive.js"
import { mairuApiStartLogin } from "../../../src/Agent/MairuApi/OAuth.js"
import { refreshTokens } from "../../../src/Agent/MairuApi/TokenEndpoint.js"
import type { OAuthConfig, ServerConfig } from "../../../src/Schemas/ServerConfig.js"

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
const fakeIdp = (
  answers: Array<{ status: number; body: object }>,
  device: object = {
    device_code: "dc",
    user_code: "ABCD-EFGH",
    verification_uri: "https://idp.example/device",
    expires_in: 600,
    interval: 5
  }
) => {
  const polls: Array<{ at: number; body: string }> = []
  const client = HttpClient.make((request) =>
    Effect.gen(function*() {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      const json = (status: number, value: object) =>
        HttpClientResponse.fromWeb(
          request,
          new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } })
        )
      if (request.url.endsWith("/oauth/device")) {
        return json(200, device)
      }
      polls.push({ at: yield* Clock.currentTimeMillis, body })
      const next = answers.shift() ?? { status: 500, body: {} }
      return json(next.status, next.body)
    })
  )
  return { layer: Layer.merge(Layer.succeed(HttpClient.HttpClient, client), KnownSecretsLive), polls }
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

describe("leniency with real identity providers, as the original Mairu", () => {
  it.scoped("takes numeric strings and nulls for expires_in and interval, and verification_url for verification_uri", () =>
    Effect.gen(function*() {
      const idp = fakeIdp(
        [{ status: 200, body: { access_token: "at", token_type: "bearer", expires_in: "7200", refresh_token: null } }],
        {
          device_code: "dc",
          user_code: "WXYZ",
          verification_url: "https://idp.example/google-style",
          expires_in: "600",
          interval: null
        }
      )
      const grant = yield* mairuApiStartLogin(server, oauth, undefined).pipe(Effect.provide(idp.layer))
      expect(grant.challenge).toMatchObject({
        _tag: "DeviceGrant",
        userCode: "WXYZ",
        verificationUri: "https://idp.example/google-style"
      })
      const fiber = yield* Effect.fork(grant.tokens)
      for (let i = 0; i < 10; i++) yield* TestClock.adjust("1 second")
      const tokens = yield* Fiber.join(fiber)
      // No interval: RFC 8628's 5 seconds.
      expect(idp.polls.map((p) => p.at)).toEqual([5000])
      expect(tokens.expiresAt.getTime() - tokens.issuedAt.getTime()).toBe(7200_000)
      expect(tokens.refreshToken).toBeUndefined()
    }))

  it.scoped("sends the configured scope with a refresh (Microsoft Entra needs it)", () =>
    Effect.gen(function*() {
      const idp = fakeIdp([{ status: 200, body: { access_token: "at2", token_type: "Bearer", expires_in: 3600 } }])
      const scoped = { ...oauth, scope: ["api://mairu/.default", "offline_access"] }
      const tokens = yield* refreshTokens({ ...server, oauth: scoped }, scoped, Redacted.make("rt")).pipe(
        Effect.provide(idp.layer)
      )
      expect(Redacted.value(tokens.accessToken)).toBe("at2")
      expect(Redacted.value(tokens.refreshToken!)).toBe("rt")
      const body = new URLSearchParams(idp.polls[0]!.body)
      expect(body.get("grant_type")).toBe("refresh_token")
      expect(body.get("scope")).toBe("api://mairu/.default offline_access")
    }))

  it.scoped("does not use a refresh token once the client is past client_expires_at", () =>
    Effect.gen(function*() {
      const idp = fakeIdp([{ status: 200, body: { access_token: "never", token_type: "Bearer" } }])
      yield* TestClock.setTime(Date.parse("2030-01-01T00:00:00Z"))
      const expired = { ...oauth, clientExpiresAt: new Date("2029-12-31T00:00:00Z") }
      const error = yield* Effect.flip(refreshTokens({ ...server, oauth: expired }, expired, Redacted.make("rt"))).pipe(
        Effect.provide(idp.layer)
      )
      expect(error._tag).toBe("Unauthenticated")
      expect(error.message).toContain("client_expires_at")
      expect(error.message).toContain("mairu login idp")
      expect(idp.polls).toEqual([])
      const valid = { ...oauth, clientExpiresAt: new Date("2030-06-01T00:00:00Z") }
      const idp2 = fakeIdp([{ status: 200, body: { access_token: "fine", token_type: "Bearer" } }])
      const tokens = yield* refreshTokens({ ...server, oauth: valid }, valid, Redacted.make("rt")).pipe(
        Effect.provide(idp2.layer)
      )
      expect(Redacted.value(tokens.accessToken)).toBe("fine")
    }))
})
