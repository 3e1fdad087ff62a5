import * as Effect from "effect/Effect"
import type { AgentError } from "../Schemas/AgentErrors.js"
import type { AgentRequest, AgentStatus } from "../Schemas/AgentProtocol.js"
import { CredentialBackend } from "../Services/CredentialBackend.js"
import { CredentialCache } from "../Services/CredentialCache.js"
import { RoleChain } from "../Services/RoleChain.js"
import { SsoRegistrations } from "../Services/SsoRegistrations.js"
import { SessionStore, sessionInfo } from "../Services/SessionStore.js"
import { makeLogins } from "./Logins.js"
import { makeSessions } from "./Sessions.js"

/** The agent's answer to every request kind; the socket server encodes the result. */
export const makeHandlers = (status: AgentStatus, shutdown: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const cache = yield* CredentialCache
    const backend = yield* CredentialBackend
    const roleChain = yield* RoleChain
    const registrations = yield* SsoRegistrations
    const sessions = yield* makeSessions
    const logins = yield* makeLogins(sessions)

    const withSession = <A>(
      server: Parameters<typeof sessions.active>[0],
      use: (session: Effect.Effect.Success<ReturnType<typeof sessions.active>>) => Effect.Effect<A, AgentError>
    ) =>
      sessions.active(server).pipe(
        Effect.flatMap((session) =>
          use(session).pipe(Effect.tapErrorTag("Unauthenticated", () => sessions.invalidate(session)))
        )
      )

    return (request: AgentRequest): Effect.Effect<unknown, AgentError> => {
      switch (request._tag) {
        case "Hello":
          return Effect.succeed(status)
        case "GetCredentials": {
          const { assumeRole, noCache, role, server } = request
          return withSession(server, (session) => {
            // Both hops are cached, each under its full role specification.
            const firstHop = cache.get(
              server,
              JSON.stringify([role]),
              backend.assumeRole(server, session.accessToken, role),
              { noCache }
            )
            if (assumeRole === undefined) return firstHop
            return cache.get(
              server,
              JSON.stringify([role, assumeRole]),
              Effect.flatMap(firstHop, (credentials) => roleChain.assume(credentials, assumeRole)),
              { noCache }
            )
          })
        }
        case "ListRoles":
          return withSession(request.server, (session) => backend.listRoles(request.server, session.accessToken))
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
