import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Handle, RequestContext } from "../../src/Agent/Handle.js"
import { makeHandlers } from "../../src/Agent/Handlers.js"
import { CredentialCacheLive } from "../../src/Agent/Layers/CredentialCacheLive.js"
import { KnownSecretsLive } from "../../src/Agent/Layers/KnownSecretsLive.js"
import { SessionStoreLive } from "../../src/Agent/Layers/SessionStoreLive.js"
import { CredentialBackend } from "../../src/Agent/Services/CredentialBackend.js"
import { OAuth } from "../../src/Agent/Services/OAuth.js"
import { RoleChain } from "../../src/Agent/Services/RoleChain.js"
import type { Tokens } from "../../src/Agent/Services/SessionStore.js"
import { SsoRegistrations } from "../../src/Agent/Services/SsoRegistrations.js"
import { Unknown } from "../../src/Schemas/AgentErrors.js"
import { type AgentRequest, CompleteLogin, GetCredentials, StartLogin } from "../../src/Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../../src/Schemas/Credentials.js"
import type { ServerConfig } from "../../src/Schemas/ServerConfig.js"
import type { LoginChallenge } from "../../src/Schemas/Session.js"
import { settingsFrom } from "../support/settings.js"

const MINUTE = 60_000
const HOUR = 60 * MINUTE

const server: ServerConfig = {
  _tag: "MairuApi",
  id: "local",
  url: "https://cred.example/",
  path: "/x/local.json",
  oauth: {
    clientId: "c",
    clientSecret: undefined,
    tokenEndpoint: "https://cred.example/oauth/token",
    scope: ["profile"],
    deviceGrant: { deviceAuthorizationEndpoint: "https://cred.example/oauth/device" },
    codeGrant: undefined,
    defaultGrantType: "device_grant"
  }
}

/** The agent looks servers up in its own servers.d: this one describes `server`. */
const serversDir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-refresh-"))
fs.writeFileSync(
  path.join(serversDir, "local.json"),
  JSON.stringify({ id: server.id, url: server.url, oauth: { client_id: "c", device_grant: {} } })
)

/**
 * A simulated server: hour-long credentials and tokens (unless `tokenLifetimeMs`), every
 * call recorded with the simulated time.
 */
const fakeServer = (failing: Set<string> = new Set(), tokenLifetimeMs = HOUR) => {
  const fetches: Array<{ role: string; at: number; expiresAt: number }> = []
  const refreshes: Array<{ at: number }> = []
  const tokens = Effect.map(Clock.currentTimeMillis, (now): Tokens => ({
    accessToken: Redacted.make(`token-${now}`),
    issuedAt: new Date(now),
    expiresAt: new Date(now + tokenLifetimeMs),
    refreshToken: Redacted.make("refresh")
  }))
  const layer = Layer.mergeAll(
    Layer.succeed(CredentialBackend, {
      assumeRole: (_server, _token, role) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          if (failing.has(role) && fetches.some((f) => f.role === role)) {
            fetches.push({ role, at: now, expiresAt: Number.NaN })
            return yield* new Unknown({ message: "server error" })
          }
          fetches.push({ role, at: now, expiresAt: now + HOUR })
          return {
            accessKeyId: `AKID-${role}-${now}`,
            secretAccessKey: Redacted.make("secret"),
            sessionToken: undefined,
            expiration: new Date(now + HOUR),
            noCache: false
          } satisfies AwsCredentials
        }),
      listRoles: () => Effect.succeed([])
    }),
    Layer.succeed(OAuth, {
      start: () =>
        Effect.succeed({
          challenge: {
            _tag: "DeviceGrant",
            userCode: "CODE",
            verificationUri: "https://cred.example/device",
            verificationUriComplete: undefined,
            expiresAt: new Date(0)
          } satisfies Omit<Extract<LoginChallenge, { _tag: "DeviceGrant" }>, "handle">,
          tokens
        }),
      refresh: () =>
        Effect.flatMap(Clock.currentTimeMillis, (at) => {
          refreshes.push({ at })
          return tokens
        }),
      revoke: () => Effect.succeed("not-supported" as const)
    }),
    Layer.succeed(RoleChain, { assume: () => Effect.die("unused") }),
    Layer.succeed(SsoRegistrations, { obtain: () => Effect.die("unused"), existing: () => Effect.die("unused") })
  ).pipe(
    Layer.merge(SessionStoreLive),
    Layer.merge(CredentialCacheLive),
    Layer.merge(KnownSecretsLive),
    Layer.merge(settingsFrom())
  )
  return { layer, fetches, refreshes }
}

/** The time between the login (at 0) and each refresh, and between refreshes. */
const gapsOf = (refreshes: ReadonlyArray<{ readonly at: number }>) =>
  refreshes.map(({ at }, i) => at - (i === 0 ? 0 : refreshes[i - 1]!.at))

/** The agent's answer to `request`, typed by the request's schemas (the table's handlers are typed so; `Handle` dispatches). */
const ask = <R extends AgentRequest>(handle: Handle, request: R, context: RequestContext) =>
  handle(request, context) as Effect.Effect<Schema.WithResult.Success<R>, Schema.WithResult.Failure<R>>

const agent = Effect.gen(function*() {
  const handle = yield* makeHandlers(
    {
      version: "test",
      protocol: 1,
      pid: 1,
      startedAt: new Date(0),
      hardening: { coreDumpsOff: false, debuggersBlocked: false }
    },
    Effect.void,
    serversDir
  )
  const context = { notices: [], closed: Effect.never }
  const { challenge } = yield* ask(
    handle,
    new StartLogin({ server: server.id, grantType: undefined, localPort: undefined }),
    context
  )
  yield* ask(handle, new CompleteLogin({ handle: challenge.handle }), context)
  const get = (role: string) =>
    ask(handle, new GetCredentials({ server: server.id, role, assumeRole: undefined, noCache: false }), context)
  return { get }
})

describe("the agent's refresh fibers over a simulated day", () => {
  it.scoped("renew tokens and used roles before their deadlines, and let idle roles go", () => {
    const sim = fakeServer()
    return Effect.gen(function*() {
      const { get } = yield* agent
      yield* get("used")
      yield* get("idle")
      for (let minute = 1; minute <= 24 * 60; minute++) {
        yield* TestClock.adjust("1 minute")
        if (minute % 30 === 0) {
          const before = sim.fetches.length
          yield* get("used")
          // Always answered from memory: the request itself never waits on the server.
          expect(sim.fetches.length).toBe(before)
        }
      }
      // Tokens: refreshed before each expiry, about every 55 minutes.
      expect(sim.refreshes.length).toBeGreaterThanOrEqual(24)
      let tokenExpiry = HOUR
      for (const { at } of sim.refreshes) {
        expect(at).toBeLessThan(tokenExpiry)
        tokenExpiry = at + HOUR
      }
      // The used role: renewed before it would leave the cache (15 minutes before expiry).
      const used = sim.fetches.filter((f) => f.role === "used")
      expect(used.length).toBeGreaterThanOrEqual(30)
      for (let i = 1; i < used.length; i++) {
        expect(used[i]!.at).toBeLessThanOrEqual(used[i - 1]!.expiresAt - 15 * MINUTE)
      }
      // The idle role: kept warm for the idle time (4 hours), then let go.
      const idle = sim.fetches.filter((f) => f.role === "idle")
      expect(idle.at(-1)!.at).toBeLessThanOrEqual(4 * HOUR + HOUR)
      expect(idle.length).toBeLessThanOrEqual(8)
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("back off from a failing server, growing and capped at 2 minutes", () => {
    const sim = fakeServer(new Set(["flaky"]))
    return Effect.gen(function*() {
      const { get } = yield* agent
      yield* get("flaky")
      for (let second = 0; second < 2 * 3600; second += 5) {
        yield* TestClock.adjust("5 seconds")
        if (second % 1800 === 0) yield* Effect.either(get("flaky"))
      }
      const retries = sim.fetches.filter((f) => f.role === "flaky" && Number.isNaN(f.expiresAt)).map((f) => f.at)
      const gaps = retries.slice(1).map((at, i) => at - retries[i]!)
      const scheduled = gaps.filter((gap) => gap <= 2 * MINUTE + 5_000)
      expect(scheduled.length).toBeGreaterThan(5)
      expect(Math.max(...scheduled)).toBeLessThanOrEqual(2 * MINUTE + 5_000)
      expect(scheduled.slice(0, 4).every((gap, i, all) => i === 0 || gap >= all[i - 1]! * 0.5)).toBe(true)
      expect(Math.max(...scheduled)).toBeGreaterThanOrEqual(MINUTE)
    }).pipe(Effect.provide(sim.layer))
  })

  it.scoped("refresh a server that issues already expired tokens less and less often, and say so once", () => {
    const sim = fakeServer(new Set(), 0)
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(String(message))
    })
    return Effect.gen(function*() {
      const { get } = yield* agent
      for (let second = 1; second <= 15 * 60; second++) {
        yield* TestClock.adjust("1 second")
        // Requests keep coming, each of which would refresh a session past its expiry.
        yield* get("used")
      }
      const gaps = gapsOf(sim.refreshes)
      expect(gaps.length).toBeGreaterThanOrEqual(3)
      expect(gaps.length).toBeLessThanOrEqual(10)
      expect(gaps[0]).toBe(10_000)
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!)
      expect(gaps.at(-1)).toBe(5 * MINUTE)
      expect(warnings.filter((warning) => warning.includes("issued tokens that had already expired"))).toHaveLength(1)
    }).pipe(Effect.provide(sim.layer), Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  })

  it.scoped("never refresh one session twice within a second, however short its tokens live", () => {
    const sim = fakeServer(new Set(), 10)
    return Effect.gen(function*() {
      const { get } = yield* agent
      for (let tick = 1; tick <= 600; tick++) {
        yield* TestClock.adjust("100 millis")
        yield* get("used")
      }
      const gaps = gapsOf(sim.refreshes)
      expect(gaps.length).toBeGreaterThanOrEqual(30)
      expect(gaps.length).toBeLessThanOrEqual(60)
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000)
    }).pipe(Effect.provide(sim.layer))
  })
})
