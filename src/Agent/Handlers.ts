import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { AgentError } from "../Schemas/AgentErrors.js"
import { findServer } from "../Layers/ServerConfigsLive.js"
import { skippedFileWarning } from "../Plain/Messages.js"
import type { AgentRequest, AgentStatus, GetCredentials } from "../Schemas/AgentProtocol.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import { CredentialBackend } from "../Services/CredentialBackend.js"
import { Settings } from "../Services/Settings.js"
import { SsoRegistrations } from "../Services/SsoRegistrations.js"
import { SessionStore, sessionInfo } from "../Services/SessionStore.js"
import { makeCredentials } from "./Credentials.js"
import { makeLogins } from "./Logins.js"
import { makeServerLookup } from "./ServerLookup.js"
import { makeRoleRefresher } from "./RoleRefresher.js"
import { makeSessions } from "./Sessions.js"

/** The agent's answer to every request kind; the socket server encodes the result. */
export const makeHandlers = (status: AgentStatus, shutdown: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const settings = yield* Settings
    const store = yield* SessionStore
    const backend = yield* CredentialBackend
    const registrations = yield* SsoRegistrations
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

    /** The server a request names: resolved by the client already, or looked up here by name. */
    const resolveServer = (server: GetCredentials["server"], notices: Array<string>) =>
      Effect.suspend((): Effect.Effect<ServerConfig, AgentError> => {
        if (server._tag !== "ServerByName") return Effect.succeed(server)
        const loaded = lookupServers(server.serversDir)
        notices.push(...loaded.problems.map(skippedFileWarning))
        return findServer(loaded, server.name, server.serversDir)
      })

    return (request: AgentRequest, notices: Array<string> = []): Effect.Effect<unknown, AgentError> => {
      switch (request._tag) {
        case "Hello":
          return Effect.succeed(status)
        case "GetCredentials":
          return resolveServer(request.server, notices).pipe(
            Effect.flatMap((server) => {
              const spec = { server, role: request.role, assumeRole: request.assumeRole }
              return credentials.get(spec, request.noCache).pipe(Effect.tap((result) => refresher.touch(spec, result)))
            })
          )
        case "ResolveServer":
          return resolveServer(request.server, notices)
        case "ListRoles":
          return credentials.withSession(
            request.server,
            (session) => credentials.limited(request.server, backend.listRoles(request.server, session.accessToken))
          )
        case "ListSessions":
          return store.list.pipe(Effect.map((all) => all.map(sessionInfo)))
        case "RefreshSession":
          return store.get(request.server).pipe(
            Effect.flatMap((found) =>
              found._tag === "None" ? sessions.active(request.server) : sessions.refresh(found.value)
            ),
            Effect.map(sessionInfo)
          )
        case "StartLogin":
          return logins.start(request.server, request.grantType)
        case "CompleteLogin":
          return logins.complete(request.handle)
        case "RegisterClient":
          return registrations.obtain(request.server, request.grantType === "code_grant" ? "code" : "device").pipe(
            Effect.map((registration) => ({ expiresAt: registration.expiresAt }))
          )
        case "Shutdown":
          return shutdown
      }
    }
  })
