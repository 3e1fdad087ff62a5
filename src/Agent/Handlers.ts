import * as Effect from "effect/Effect"
import { type AgentError, InvalidArgument } from "../Schemas/AgentErrors.js"
import type { AgentRequest, AgentStatus } from "../Schemas/AgentProtocol.js"
import { CredentialBackend } from "../Services/CredentialBackend.js"
import { CredentialCache } from "../Services/CredentialCache.js"
import { SessionStore, sessionInfo } from "../Services/SessionStore.js"
import { makeLogins } from "./Logins.js"
import { makeSessions } from "./Sessions.js"

/** The agent's answer to every request kind; the socket server encodes the result. */
export const makeHandlers = (status: AgentStatus, shutdown: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const cache = yield* CredentialCache
    const backend = yield* CredentialBackend
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
          if (request.assumeRole !== undefined) {
            return Effect.fail(new InvalidArgument({ message: "role chaining is not supported by this agent yet" }))
          }
          const key = JSON.stringify([request.role])
          return withSession(request.server, (session) =>
            cache.get(
              request.server,
              key,
              backend.assumeRole(request.server, session.accessToken, request.role),
              { noCache: request.noCache }
            ))
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
        case "Shutdown":
          return shutdown
      }
    }
  })
