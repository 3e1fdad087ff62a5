import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { type AgentError, InvalidArgument, NotFound } from "../Schemas/AgentErrors.js"
import { findServer, withLocalPortOverride } from "../Layers/ServerConfigsLive.js"
import { skippedFileWarning } from "../Plain/Messages.js"
import { type AgentStatus, type OpenRestrictedSocket, serverSummary } from "../Schemas/AgentProtocol.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import { CredentialBackend } from "../Services/CredentialBackend.js"
import { Settings } from "../Services/Settings.js"
import { SsoRegistrations } from "../Services/SsoRegistrations.js"
import { SessionStore, sessionInfo } from "../Services/SessionStore.js"
import { makeCredentials } from "./Credentials.js"
import { makeLogins } from "./Logins.js"
import { type Handle, parsePatterns, restrictedFolderProblem, restrictHandle } from "./Restricted.js"
import { makeServerLookup } from "./ServerLookup.js"
import { makeRoleRefresher } from "./RoleRefresher.js"
import { makeSessions } from "./Sessions.js"
import { serveSocket } from "./SocketServer.js"

export type { Handle, RequestContext } from "./Restricted.js"

/**
 * The agent's answer to every request kind; the socket server encodes the result.
 * Server names are looked up in the agent's own `serversDir`, whoever asks.
 */
export const makeHandlers = (status: AgentStatus, shutdown: Effect.Effect<void>, serversDir: string) =>
  Effect.gen(function*() {
    const settings = yield* Settings
    const store = yield* SessionStore
    const backend = yield* CredentialBackend
    const registrations = yield* SsoRegistrations
    const agentScope = yield* Effect.scope
    const sessions = yield* makeSessions
    const logins = yield* makeLogins(sessions)

    const credentials = yield* makeCredentials(sessions)
    const refresher = yield* makeRoleRefresher(
      (spec) => credentials.get(spec, true),
      {
        idleMs: Duration.toMillis(settings.refreshIdle),
        spreadMs: Duration.toMillis(settings.refreshSpread)
      }
    )

    const lookupServers = makeServerLookup()

    /** The server a request names, from the agent's own configuration. */
    const resolveServer = (name: string, notices: Array<string>) =>
      Effect.suspend((): Effect.Effect<ServerConfig, AgentError> => {
        const loaded = lookupServers(serversDir)
        notices.push(...loaded.problems.map(skippedFileWarning))
        const found = findServer(loaded, name, serversDir)
        if (Either.isRight(found) || found.left._tag !== "NotFound") return found
        const known = [...new Set(loaded.servers.map((s) => s.id))]
        return Effect.fail(
          new NotFound({
            message: `no server "${name}" is configured in the agent's configuration, ${serversDir}` +
              (known.length > 0
                ? ` (configured: ${known.join(", ")})`
                : "; add a servers.d file there, on the agent's machine, or run mairu setup-sso there")
          })
        )
      })

    /** Serves a restricted socket until the connection that asked for it closes, or the agent stops. */
    const openRestricted = (request: OpenRestrictedSocket, closed: Effect.Effect<void>) =>
      Effect.gen(function*() {
        const patterns = parsePatterns(request.allow)
        if (patterns instanceof InvalidArgument) return yield* patterns
        const problem = restrictedFolderProblem(request.path)
        if (problem !== undefined) {
          return yield* new InvalidArgument({ message: `cannot open a restricted socket at ${request.path}: ${problem}` })
        }
        const scope = yield* Scope.fork(agentScope, ExecutionStrategy.sequential)
        yield* serveSocket(request.path, restrictHandle(handle, patterns, request.allowLogin)).pipe(
          Scope.extend(scope),
          Effect.tapError(() => Scope.close(scope, Exit.void)),
          Effect.mapError((error) => new InvalidArgument({ message: error.message }))
        )
        yield* Effect.logInfo(`serving ${request.allow.join(", ")} at ${request.path}`)
        yield* closed.pipe(
          Effect.zipRight(Scope.close(scope, Exit.void)),
          Effect.zipRight(Effect.logInfo(`closed the restricted socket ${request.path}`)),
          Effect.forkIn(agentScope)
        )
        return { path: request.path }
      })

    const handle: Handle = (request, context) => {
      const { notices } = context
      const withServer = <A>(name: string, use: (server: ServerConfig) => Effect.Effect<A, AgentError>) =>
        Effect.flatMap(resolveServer(name, notices), use)
      switch (request._tag) {
        case "Hello":
          return Effect.succeed(status)
        case "GetCredentials":
          return withServer(request.server, (server) => {
            const spec = { server, role: request.role, assumeRole: request.assumeRole }
            return credentials.get(spec, request.noCache).pipe(Effect.tap((result) => refresher.touch(spec, result)))
          })
        case "ResolveServer":
          return resolveServer(request.server, notices).pipe(Effect.map(serverSummary))
        case "ListServers":
          return Effect.sync(() => {
            const loaded = lookupServers(serversDir)
            return {
              serversDir,
              servers: loaded.servers.map(serverSummary),
              problems: loaded.problems.map(skippedFileWarning)
            }
          })
        case "ListRoles":
          return withServer(request.server, (server) =>
            credentials.withSession(
              server,
              (session) => credentials.limited(server, backend.listRoles(server, session.accessToken))
            ))
        case "ListSessions":
          return store.list.pipe(Effect.map((all) => all.map(sessionInfo)))
        case "RefreshSession":
          return withServer(request.server, (server) =>
            store.get(server).pipe(
              Effect.flatMap((found) => found._tag === "None" ? sessions.active(server) : sessions.refresh(found.value)),
              Effect.map(sessionInfo)
            ))
        case "StartLogin":
          return withServer(request.server, (server) =>
            logins.start(withLocalPortOverride(server, request.localPort), request.grantType).pipe(
              Effect.map((started) => ({ serverId: server.id, ...started }))
            ))
        case "CompleteLogin":
          return logins.complete(request.handle)
        case "RegisterClient":
          return withServer(request.server, (server) =>
            registrations.obtain(server, request.grantType === "code_grant" ? "code" : "device").pipe(
              Effect.map((registration) => ({ expiresAt: registration.expiresAt }))
            ))
        case "Logout":
          return withServer(request.server, sessions.logout)
        case "WatchSession":
          return withServer(request.server, sessions.watch)
        case "OpenRestrictedSocket":
          return openRestricted(request, context.closed)
        case "Shutdown":
          return shutdown
      }
    }
    return handle
  })
