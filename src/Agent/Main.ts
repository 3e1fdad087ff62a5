import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type { HardeningReport } from "../Platform/Hardening.js"
import { PROTOCOL_VERSION } from "../Schemas/ProtocolVersion.js"
import { Paths } from "../Services/Paths.js"
import { VERSION } from "../Version.js"
import { makeHandlers } from "./Handlers.js"
import { AgentLive } from "./Layers/AgentLive.js"
import { preparePrivateFolder } from "./SocketPath.js"
import { serveSocket } from "./SocketServer.js"

/** Runs the agent in this process until it is asked to shut down or interrupted. */
export const runAgent = (hardening: HardeningReport) =>
  Effect.gen(function*() {
    process.umask(0o077)
    const paths = yield* Paths
    yield* preparePrivateFolder(paths.socketPath)
    const stop = yield* Deferred.make<void>()
    const startedAt = new Date(yield* Clock.currentTimeMillis)
    const status = { version: VERSION, protocol: PROTOCOL_VERSION, pid: process.pid, startedAt, hardening }
    const handle = yield* makeHandlers(status, stop, paths.serversDir)
    yield* serveSocket(paths.socketPath, handle, { remote: false })
    yield* Effect.logInfo(`mairu agent ${VERSION} (pid ${process.pid}) listening on ${paths.socketPath}`)
    if (hardening.problem !== undefined) {
      yield* Effect.logWarning(`running without full hardening: ${hardening.problem}`)
    }
    yield* Deferred.await(stop)
    yield* Effect.logInfo("mairu agent shutting down")
  }).pipe(Effect.scoped, Effect.provide(AgentLive))
