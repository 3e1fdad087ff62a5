import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { KnownSecretsLive } from "../../../src/Agent/Layers/KnownSecretsLive.js"
import { MAX_BODY_BYTES, send, sendRetrying } from "../../../src/Agent/MairuApi/Upstream.js"
import type { ServerConfig } from "../../../src/Schemas/ServerConfig.js"

const serving = (answers: Array<{ status: number; body: string | ReadableStream<Uint8Array> }>) => {
  let calls = 0
  const client = HttpClient.make((request) =>
    Effect.sync(() => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!
      return HttpClientResponse.fromWeb(request, new Response(answer.body, { status: answer.status }))
    })
  )
  return { layer: Layer.merge(Layer.succeed(HttpClient.HttpClient, client), KnownSecretsLive), calls: () => calls }
}

const request = HttpClientRequest.get("https://cred.example/roles")
const server: ServerConfig = {
  _tag: "MairuApi",
  id: "cred",
  url: "https://cred.example/",
  path: "/x/cred.json",
  oauth: {
    clientId: "c",
    clientSecret: undefined,
    tokenEndpoint: "https://cred.example/oauth/token",
    scope: [],
    deviceGrant: undefined,
    codeGrant: undefined,
    defaultGrantType: "device_grant"
  }
}

describe("upstream calls", () => {
  it.effect("refuse a body larger than the limit, even one sent in chunks without a length", () =>
    Effect.gen(function*() {
      const chunk = new Uint8Array(64 * 1024).fill(97)
      let sent = 0
      const endless = new ReadableStream<Uint8Array>({
        pull: (controller) => {
          sent += chunk.length
          controller.enqueue(chunk)
        }
      })
      const endlessServer = serving([{ status: 200, body: endless }])
      const error = yield* Effect.flip(send(server, request, "list roles").pipe(Effect.provide(endlessServer.layer)))
      expect(error.message).toContain(`larger than ${MAX_BODY_BYTES} bytes`)
      expect(sent).toBeLessThan(MAX_BODY_BYTES * 2)
    }))

  it.effect("retry 5xx and 429 twice at most, then report the last answer", () =>
    Effect.gen(function*() {
      // The retries wait (about 0.2 s, then 0.4 s): the test clock moves them along.
      const settle = <A, E>(effect: Effect.Effect<A, E>) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(effect)
          for (let step = 0; step < 10; step++) yield* TestClock.adjust("100 millis")
          return yield* Fiber.join(fiber)
        })
      const flaky = serving([{ status: 503, body: "busy" }, { status: 429, body: "slow" }, { status: 200, body: "{}" }])
      expect((yield* settle(sendRetrying(server, request, "x").pipe(Effect.provide(flaky.layer)))).status).toBe(200)
      expect(flaky.calls()).toBe(3)
      const down = serving([{ status: 500, body: "down" }])
      expect((yield* settle(sendRetrying(server, request, "x").pipe(Effect.provide(down.layer)))).status).toBe(500)
      expect(down.calls()).toBe(3)
      const forbidden = serving([{ status: 403, body: "no" }])
      expect((yield* settle(sendRetrying(server, request, "x").pipe(Effect.provide(forbidden.layer)))).status).toBe(403)
      expect(forbidden.calls()).toBe(1)
    }))
})
