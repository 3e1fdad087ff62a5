import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { HardeningReport } from "../Platform/Hardening.js"
import { PROTOCOL_VERSION } from "../Schemas/ProtocolVersion.js"
import { Paths } from "../Services/Paths.js"
import { VERSION } from "../Version.js"
import { makeHandlers } from "./Handlers.js"
import { CredentialBackendLive } from "./Layers/CredentialBackendLive.js"
import { CredentialCacheLive } from "./Layers/CredentialCacheLive.js"
import { KnownSecretsLive } from "./Layers/KnownSecretsLive.js"
import { OAuthLive } from "./Layers/OAuthLive.js"
import { RoleChainLive } from "./Layers/RoleChainLive.js"
import { SessionStoreLive } from "./Layers/SessionStoreLive.js"
import { SsoRegistrationsLive } from "./Layers/SsoRegistrationsLive.js"
import { preparePrivateFolder } from "./SocketPath.js"
import { serveSocket } from "./SocketServer.js"

export const AgentLive = Layer.mergeAll(SessionStoreLive, CredentialBackendLive, OAuthLive, RoleChainLive).pipe(
  Layer.provideMerge(Layer.mergeAll(CredentialCacheLive, SsoRegistrationsLive, KnownSecretsLive)),
  Layer.provide(NodeHttpClient.layer)
)

/** Runs the agent in this process until it is asked to shut down or interrupted. */
export const runAgent = (hardening: HardeningReport) =>
  Effect.gen(function*() {
    process.umask(0o077)
    const paths = yield* Paths
    yield* preparePrivateFolder(paths.socketPath)
    const stop = yield* Deferred.make<void>()
    // Answer the Shutdown request before the socket closes.
    const shutdown = Deferred.succeed(stop, undefined).pipe(Effect.delay("50 millis"), Effect.forkDaemon, Effect.asVoid)
    const status = { version: VERSION, protocol: PROTOCOL_VERSION, pid: process.pid, startedAt: new Date(), hardening }
    const handle = yield* makeHandlers(status, shutdown, paths.serversDir)
    yield* serveSocket(paths.socketPath, handle)
    yield* Effect.logInfo(`mairu agent ${VERSION} (pid ${process.pid}) listening on ${paths.socketPath}`)
    if (hardening.problem !== undefined) {
      yield* Effect.logWarning(`running without full hardening: ${hardening.problem}`)
    }
    yield* Deferred.await(stop)
    yield* Effect.logInfo("mairu agent shutting down")
  }).pipe(Effect.scoped, Effect.provide(AgentLive))
