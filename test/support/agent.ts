import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Handle, RequestContext } from "../../src/Agent/Handle.js"
import { makeHandlers } from "../../src/Agent/Handlers.js"
import { AgentLogicLive } from "../../src/Agent/Layers/AgentLive.js"
import { KnownSecretsLive } from "../../src/Agent/Layers/KnownSecretsLive.js"
import { CredentialBackend } from "../../src/Agent/Services/CredentialBackend.js"
import { OAuth } from "../../src/Agent/Services/OAuth.js"
import { RoleChain } from "../../src/Agent/Services/RoleChain.js"
import { SsoRegistrations } from "../../src/Agent/Services/SsoRegistrations.js"
import type { AgentRequest } from "../../src/Schemas/AgentProtocol.js"
import { writeServerFile } from "./servers.js"
import { mairuApiServer } from "./servers.js"
import { settingsFrom } from "./settings.js"

/** The server that `agentServersDir` describes, as the agent loads it. */
export const localServer = mairuApiServer("local", "https://cred.example/")

/** An agent's servers.d with one Mairu API server, `local` (removed when the scope closes). */
export const agentServersDir = Effect.acquireRelease(
  Effect.sync(() => {
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-agent-"))
    writeServerFile(configDir, localServer.id, {
      id: localServer.id,
      url: localServer.url,
      oauth: { client_id: "client", device_grant: {} }
    })
    return { configDir, serversDir: path.join(configDir, "mairu", "servers.d") }
  }),
  ({ configDir }) => Effect.sync(() => fs.rmSync(configDir, { recursive: true, force: true }))
).pipe(Effect.map(({ serversDir }) => serversDir))

/**
 * The agent's own logic as it runs (AgentLogicLive), on the test layers of what it
 * reaches outside: the credential and token servers, STS and SSO registrations,
 * with the agent's settings from `env` (and the secrets it knows, in memory as it keeps them).
 */
export const agentTestLayer = (
  upstream: {
    readonly backend?: Layer.Layer<CredentialBackend>
    readonly oauth?: Layer.Layer<OAuth>
    readonly env?: Record<string, string>
  } = {}
) =>
  AgentLogicLive.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        upstream.backend ?? CredentialBackend.layerTest(),
        upstream.oauth ?? OAuth.layerTest(),
        RoleChain.Test,
        SsoRegistrations.Test
      )
    ),
    // In memory, as the agent keeps it: the secrets to scrub are part of what the tests check.
    Layer.provideMerge(KnownSecretsLive),
    Layer.provideMerge(settingsFrom(upstream.env))
  )

/** The handler table of an agent whose servers.d is `serversDir`, and the Deferred a Shutdown completes. */
export const agentHandle = (serversDir: string) =>
  Effect.gen(function*() {
    const stop = yield* Deferred.make<void>()
    const handle = yield* makeHandlers(
      {
        version: "test",
        protocol: 1,
        pid: 1,
        startedAt: new Date(0),
        hardening: { coreDumpsOff: false, debuggersBlocked: false, inspectorClosed: true }
      },
      stop,
      serversDir
    )
    return { handle, stop }
  })

/** A client that never goes away, whose answers are written at once: this test process, as the kernel would tell. */
export const stayingClient: RequestContext = {
  peer: { _tag: "Local", pid: process.pid, uid: process.getuid?.() ?? 0 },
  notices: [],
  closed: Effect.never,
  answered: Effect.void
}

/** The agent's answer to `request`, typed by the request's schemas (the table's handlers are typed so; `Handle` dispatches). */
export const ask = <R extends AgentRequest>(handle: Handle, request: R, context: RequestContext = stayingClient) =>
  handle(request, context) as Effect.Effect<Schema.WithResult.Success<R>, Schema.WithResult.Failure<R>>
