import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { withInspector } from "../Platform/Hardening.js"
import { type AgentError, InvalidArgument, NotFound } from "../Schemas/AgentErrors.js"
import {
  type AgentStatus,
  type GetCredentials,
  type OpenRestrictedSocket,
  type RecordHandOuts,
  serverSummary
} from "../Schemas/AgentProtocol.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import { findServer, withLocalPortOverride } from "../Schemas/ServerFiles.js"
import { skippedFileWarning } from "../Terminal/Messages.js"
import { dispatch, type Handle, type Handlers, type RequestContext } from "./Handle.js"
import { describeReporter, describeRequester, handOutEntry, reportedRequester, withoutSecretsOf } from "./HandOuts.js"
import { parsePatterns, restrictedFolderProblem, restrictHandle } from "./Restricted.js"
import { makeServerLookup } from "./ServerLookup.js"
import { Audit } from "./Services/Audit.js"
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
export const makeHandlers = (status: Omit<AgentStatus, "audit">, stop: Deferred.Deferred<void>, serversDir: string) =>
  Effect.gen(function*() {
    const audit = yield* Audit
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
        const restricted = restrictHandle(handle, patterns, { allowLogin: request.allowLogin, refused })
        yield* serveSocket(request.path, restricted, { remote: true }).pipe(
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

    /**
     * Credentials for a request, recorded in the audit trail with who asked (described
     * while the request is open: a process may exit once answered) and what it came to.
     */
    const getCredentials = (request: GetCredentials, context: RequestContext) =>
      Effect.gen(function*() {
        const time = new Date(yield* Clock.currentTimeMillis)
        let serverId = request.server
        const obtain = withServer(request.server, context.notices, (server) => {
          serverId = server.id
          const spec = { server, role: request.role, assumeRole: request.assumeRole }
          return credentials.get(spec, request.noCache).pipe(
            Effect.tap((served) => refresher.touch(spec, served.credentials))
          )
        })
        // Started before the credentials are fetched, without a fiber of its own (which would cost more
        // than reading /proc does): on macOS, ps and lsof run meanwhile.
        const describing = describeRequester(context.peer, request.requester)
        const result = yield* Effect.exit(obtain)
        const asked = yield* Effect.promise(() => describing)
        const requester = Exit.isSuccess(result) ? withoutSecretsOf(asked, result.value.credentials) : asked
        const handedOut = Exit.map(
          result,
          ({ credentials, source }) => ({ accessKeyId: credentials.accessKeyId, source })
        )
        yield* audit.record(handOutEntry({ ...request, server: serverId }, time, requester, handedOut))
        return yield* Effect.map(result, (served) => served.credentials)
      })

    /** A credentials request a restricted socket refused, in the audit trail. */
    const refused = (request: GetCredentials, context: RequestContext, error: AgentError) =>
      Effect.gen(function*() {
        const time = new Date(yield* Clock.currentTimeMillis)
        const requester = yield* Effect.promise(() => describeRequester(context.peer, request.requester))
        yield* audit.record(handOutEntry(request, time, requester, Exit.fail(error)))
      })

    /** Hand-outs exec's endpoint made from credentials it had, in the audit trail. */
    const recordHandOuts = (request: RecordHandOuts, context: RequestContext) =>
      withServer(request.server, context.notices, (server) =>
        Effect.gen(function*() {
          const reporter = yield* Effect.promise(() => describeReporter(context.peer))
          if (request.unrecorded > 0) {
            yield* Effect.logWarning(
              `${request.unrecorded} hand-outs of ${request.role} (${server.id}) by exec's endpoint were not recorded ` +
                `(too many at once; reported by ${reporter.reportedBy?.pid ?? "an unknown process"})`
            )
          }
          for (const handOut of request.handOuts) {
            yield* audit.record(handOutEntry(
              { ...request, server: server.id, via: "exec-ecs" },
              handOut.at,
              reportedRequester(context.peer, reporter, handOut.requester),
              Exit.succeed({ accessKeyId: handOut.accessKeyId, source: "reused" })
            ))
          }
        }))

    const withServer = <A>(
      name: string,
      notices: Array<string>,
      use: (server: ServerConfig) => Effect.Effect<A, AgentError>
    ) => Effect.flatMap(resolveServer(name, notices), use)

    const handlers: Handlers = {
      Hello: () =>
        Effect.map(audit.status, (auditStatus) => ({
          ...status,
          hardening: withInspector(status.hardening),
          audit: auditStatus
        })),
      GetCredentials: getCredentials,
      RecordHandOuts: recordHandOuts,
      ReadAudit: (request) => audit.read(request.after, request.wait),
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
