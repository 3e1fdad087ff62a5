import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { CredentialCacheLive } from "../../../src/Agent/Layers/CredentialCacheLive.js"
import { CredentialsLive } from "../../../src/Agent/Layers/CredentialsLive.js"
import { type BackendCall, CredentialBackend } from "../../../src/Agent/Services/CredentialBackend.js"
import { CredentialCache } from "../../../src/Agent/Services/CredentialCache.js"
import { Credentials, MAX_UPSTREAM_PER_SERVER } from "../../../src/Agent/Services/Credentials.js"
import { KnownSecrets } from "../../../src/Agent/Services/KnownSecrets.js"
import { RoleChain } from "../../../src/Agent/Services/RoleChain.js"
import { Sessions } from "../../../src/Agent/Services/Sessions.js"
import type { Session } from "../../../src/Agent/Services/SessionStore.js"
import { Unauthenticated } from "../../../src/Schemas/AgentErrors.js"
import { mairuApiServer } from "../../support/servers.js"

const local = mairuApiServer("local")
const other = mairuApiServer("other", "https://other.example/")
const spec = (role: string, server = local) => ({ server, role, assumeRole: undefined })

/** Credentials on test sessions, `cache`, and a backend (options as CredentialBackend.layerTest's). */
const credentialsOn = (
  backend: Parameters<typeof CredentialBackend.layerTest>[0] = {},
  cache: Layer.Layer<CredentialCache> = CredentialCache.layerTest()
) => {
  const calls: Array<BackendCall> = []
  const ended: Array<Session> = []
  const remembered: Array<{ readonly server: string; readonly value: string }> = []
  const layer = CredentialsLive.pipe(
    Layer.provide(
      Layer.mergeAll(
        Sessions.layerTest({ ended }),
        cache,
        CredentialBackend.layerTest({ ...backend, calls }),
        RoleChain.Test,
        KnownSecrets.layerTest(remembered)
      )
    )
  )
  return { layer, calls, ended, remembered }
}

describe("Credentials", () => {
  it.scoped("call one server at most 8 times at once, and other servers meanwhile", () => {
    const sim = credentialsOn({ latency: "1 second" })
    return Effect.gen(function*() {
      const credentials = yield* Credentials
      const roles = Array.from({ length: 20 }, (_, i) => `Role${i}`)
      const fibers = yield* Effect.forEach(roles, (role) => Effect.fork(credentials.get(spec(role), false)))
      const elsewhere = yield* Effect.fork(credentials.get(spec("Role", other), false))
      yield* Effect.yieldNow()
      yield* TestClock.adjust("1 second")
      expect(MAX_UPSTREAM_PER_SERVER).toBe(8)
      expect(sim.calls.filter((call) => call.at === 1_000)).toHaveLength(8 + 1)
      expect((yield* Fiber.join(elsewhere)).credentials.accessKeyId).toMatch(/^AKID-Role-/)
      yield* TestClock.adjust("1 second")
      expect(sim.calls.filter((call) => call.at === 2_000)).toHaveLength(8)
      yield* TestClock.adjust("1 second")
      expect(sim.calls.filter((call) => call.at === 3_000)).toHaveLength(4)
      expect(yield* Effect.forEach(fibers, Fiber.join)).toHaveLength(20)
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("fetch a chained role through its first hop, caching both hops", () => {
    const sim = credentialsOn({}, CredentialCacheLive)
    return Effect.gen(function*() {
      const credentials = yield* Credentials
      const chained = {
        ...spec("Base"),
        assumeRole: {
          roleArn: "arn:aws:iam::1:role/Next",
          roleSessionName: undefined,
          durationSeconds: undefined,
          externalId: undefined
        }
      }
      const first = yield* credentials.get(chained, false)
      expect(first.credentials.accessKeyId).toBe("AKID-Base-1>arn:aws:iam::1:role/Next")
      expect(first.source).toBe("upstream")
      expect(sim.calls.map((call) => [call.role, call.accessToken])).toEqual([["Base", "token-local"]])
      // The chained keys are the session's secrets too, scrubbed from whatever a server sends back.
      expect(sim.remembered).toContainEqual({ server: "local", value: "chained-secret" })
      expect(yield* credentials.get(spec("Base"), false)).toMatchObject({
        credentials: { accessKeyId: "AKID-Base-1" },
        source: "cache"
      })
      expect(yield* credentials.get(chained, false)).toMatchObject({
        credentials: { accessKeyId: first.credentials.accessKeyId },
        source: "cache"
      })
      expect(sim.calls).toHaveLength(1)
      // --no-cache asks again, for both hops.
      expect((yield* credentials.get(chained, true)).credentials.accessKeyId).toBe(
        "AKID-Base-2>arn:aws:iam::1:role/Next"
      )
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("end the session when the server no longer accepts its token", () => {
    const sim = credentialsOn({
      refuse: (role) =>
        role === "Revoked"
          ? new Unauthenticated({ serverId: "local", message: "session is no longer valid" })
          : undefined
    })
    return Effect.gen(function*() {
      const credentials = yield* Credentials
      yield* credentials.get(spec("Fine"), false)
      expect(sim.ended).toEqual([])
      expect(yield* Effect.flip(credentials.get(spec("Revoked"), false))).toMatchObject({
        message: "session is no longer valid"
      })
      expect(sim.ended.map((session) => session.server.id)).toEqual(["local"])
      expect(yield* Effect.flip(credentials.get(spec("Fine"), false))).toMatchObject({
        _tag: "Unauthenticated",
        message: "not logged in to local"
      })
      expect(sim.calls.map((call) => call.role)).toEqual(["Fine", "Revoked"])
    }).pipe(Effect.provide(sim.layer))
  })
})
