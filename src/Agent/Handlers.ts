import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { withInspector } from "../Platform/Hardening.js"
import { type AgentError, InvalidArgument, NotFound } from "../Schemas/AgentErrors.js"
import { type AgentStatus, type OpenRestrictedSocket, serverSummary } from "../Schemas/AgentProtocol.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import { findServer, withLocalPortOverride } from "../Schemas/ServerFiles.js"
import { skippedFileWarning } from "../Terminal/Messages.js"
import { dispatch, type Handle, type Handlers } from "./Handle.js"
import { parsePatterns, restrictedFolderProblem, restrictHandle } from "./Restricted.js"
import { makeServerLookup } from "./ServerLookup.js"
import { CredentialBackend } from "./Services/CredentialBackend.js"
import { Credentials } from "./Services/Credentials.js"
import { Logins } from "./Services/Logins.js"
import { RoleRefresher } from "./Services/RoleRefresher.js"
import { Sessions } from "./Services/Sessions.js"
import { sessionInfo, SessionStore } from "./Services/SessionStore.js"
import { SsoRegistrations } from "./Services/SsoRegistrations.js"
import { serveSocket } from "./SocketServer.js"

/**
 * The agent's answer to every request kind; the socket server encodes the result.
 * Server names are looked up in the agent's own `serversDir`, whoever asks. A
 * Shutdown request completes `stop` once its answer has reached the client.
 */
export const makeHandlers = (status: AgentStatus, stop: Deferred.Deferred<void>, serversDir: string) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const backend = yield* CredentialBackend
    const registrations = yield* SsoRegistrations
    const sessions = yield* Sessions
    const logins = yield* Logins
    const credentials = yield* Credentials
    const refresher = yield* RoleRefresher
    const agentScope = yield* Effect.scope

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
          return yield* new InvalidArgument({
            message: `cannot open a restricted socket at ${request.path}: ${problem}`
          })
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

    const withServer = <A>(
      name: string,
      notices: Array<string>,
      use: (server: ServerConfig) => Effect.Effect<A, AgentError>
    ) => Effect.flatMap(resolveServer(name, notices), use)

    const handlers: Handlers = {
      Hello: () => Effect.sync(() => ({ ...status, hardening: withInspector(status.hardening) })),
      GetCredentials: (request, { notices }) =>
        withServer(request.server, notices, (server) => {
          const spec = { server, role: request.role, assumeRole: request.assumeRole }
          return credentials.get(spec, request.noCache).pipe(Effect.tap((result) => refresher.touch(spec, result)))
        }),
      ResolveServer: (request, { notices }) => resolveServer(request.server, notices).pipe(Effect.map(serverSummary)),
      ListServers: () =>
        Effect.sync(() => {
          const loaded = lookupServers(serversDir)
          return {
            serversDir,
            servers: loaded.servers.map(serverSummary),
            problems: loaded.problems.map(skippedFileWarning)
          }
        }),
      ListRoles: (request, { notices }) =>
        withServer(request.server, notices, (server) =>
          credentials.withSession(
            server,
            (session) => credentials.limited(server, backend.listRoles(server, session.accessToken))
          )),
      ListSessions: () => store.list.pipe(Effect.map((all) => all.map(sessionInfo))),
      RefreshSession: (request, { notices }) =>
        withServer(request.server, notices, (server) =>
          store.get(server).pipe(
            Effect.flatMap((found) => found._tag === "None" ? sessions.active(server) : sessions.refresh(found.value)),
            Effect.map(sessionInfo)
          )),
      StartLogin: (request, { notices }) =>
        withServer(
          request.server,
          notices,
          (server) =>
            logins.start(withLocalPortOverride(server, request.localPort), request.grantType).pipe(
              Effect.map((started) => ({ serverId: server.id, ...started }))
            )
        ),
      CompleteLogin: (request) => logins.complete(request.handle),
      RegisterClient: (request, { notices }) =>
        withServer(
          request.server,
          notices,
          (server) =>
            registrations.obtain(server, request.grantType === "code_grant" ? "code" : "device").pipe(
              Effect.map((registration) => ({ expiresAt: registration.expiresAt }))
            )
        ),
      Logout: (request, { notices }) => withServer(request.server, notices, sessions.logout),
      WatchSession: (request, { notices }) => withServer(request.server, notices, sessions.watch),
      OpenRestrictedSocket: (request, { closed }) => openRestricted(request, closed),
      Shutdown: (_request, { answered }) =>
        answered.pipe(Effect.zipRight(Deferred.succeed(stop, undefined)), Effect.forkIn(agentScope), Effect.asVoid)
    }
    const handle: Handle = dispatch(handlers)
    return handle
  })
