import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { credentialSecrets } from "../ScrubErrors.js"
import { CredentialBackend } from "../Services/CredentialBackend.js"
import { CredentialCache, type Served } from "../Services/CredentialCache.js"
import {
  Credentials,
  type CredentialsShape,
  MAX_UPSTREAM_PER_SERVER,
  type RoleSpec,
  roleSpecKey
} from "../Services/Credentials.js"
import { KnownSecrets } from "../Services/KnownSecrets.js"
import { RoleChain } from "../Services/RoleChain.js"
import { Sessions, type SessionsShape } from "../Services/Sessions.js"
import { serverKey, type Session } from "../Services/SessionStore.js"

const makeCredentials = (sessions: SessionsShape) =>
  Effect.gen(function*() {
    const cache = yield* CredentialCache
    const backend = yield* CredentialBackend
    const roleChain = yield* RoleChain
    const known = yield* KnownSecrets
    const limits = new Map<string, Effect.Semaphore>()

    /** At most MAX_UPSTREAM_PER_SERVER calls to one server at a time; the others queue. */
    const limited = <A>(server: ServerConfig, call: Effect.Effect<A, AgentError>) =>
      Effect.suspend(() => {
        const key = serverKey(server)
        let semaphore = limits.get(key)
        if (semaphore === undefined) {
          semaphore = Effect.unsafeMakeSemaphore(MAX_UPSTREAM_PER_SERVER)
          limits.set(key, semaphore)
        }
        return semaphore.withPermits(1)(call)
      })

    /** Runs `use` with a valid session; a server that no longer accepts it ends the session. */
    const withSession = <A>(server: ServerConfig, use: (session: Session) => Effect.Effect<A, AgentError>) =>
      sessions.active(server).pipe(
        Effect.flatMap((session) =>
          use(session).pipe(
            known.scrubbing(server),
            Effect.tapErrorTag("Unauthenticated", () => sessions.invalidate(session))
          )
        )
      )

    const get = (spec: RoleSpec, noCache: boolean): Effect.Effect<Served, AgentError> =>
      withSession(spec.server, (session) => {
        const { assumeRole, role, server } = spec
        const firstHop = cache.get(
          server,
          roleSpecKey({ server, role, assumeRole: undefined }),
          limited(server, backend.assumeRole(server, session.accessToken, role)),
          { noCache }
        )
        if (assumeRole === undefined) return firstHop
        return cache.get(
          server,
          roleSpecKey(spec),
          Effect.flatMap(firstHop, ({ credentials }) =>
            roleChain.assume(credentials, assumeRole).pipe(
              Effect.tap((chained) => known.remember(server, credentialSecrets(chained)))
            )),
          { noCache }
        )
      })

    return { get, withSession, limited } satisfies CredentialsShape
  })

export const CredentialsLive = Layer.effect(Credentials, Effect.flatMap(Sessions, makeCredentials))
