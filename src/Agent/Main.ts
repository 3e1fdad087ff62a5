import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import { hardeningProblem, type HardeningReport } from "../Platform/Hardening.js"
import { PROTOCOL_VERSION } from "../Schemas/ProtocolVersion.js"
import { Paths } from "../Services/Paths.js"
import { VERSION } from "../Version.js"
import { makeHandlers } from "./Handlers.js"
import { AgentLive } from "./Layers/AgentLive.js"
import { preparePrivateFolder } from "./SocketPath.js"
import { serveSocket } from "./SocketServer.js"

/** Says in the log when a SIGUSR1 comes, which would open Node's inspector if the entry did not ignore it. */
const logDebugSignals = Effect.gen(function*() {
  const runFork = Runtime.runFork(yield* Effect.runtime<never>())
  const listener = () =>
    void runFork(
      Effect.logWarning(
        "ignored a SIGUSR1: the agent never opens Node's inspector, a debugger any local user could reach"
      )
    )
  yield* Effect.acquireRelease(
    Effect.sync(() => process.on("SIGUSR1", listener)),
    () => Effect.sync(() => process.off("SIGUSR1", listener))
  )
})

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
    yield* logDebugSignals
    yield* serveSocket(paths.socketPath, handle, { remote: false })
    yield* Effect.logInfo(`mairu agent ${VERSION} (pid ${process.pid}) listening on ${paths.socketPath}`)
    const missing = hardeningProblem(hardening)
    if (missing !== undefined) yield* Effect.logWarning(missing)
    yield* Deferred.await(stop)
    yield* Effect.logInfo("mairu agent shutting down")
  }).pipe(Effect.scoped, Effect.provide(AgentLive))
