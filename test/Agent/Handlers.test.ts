import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Audit } from "../../src/Agent/Services/Audit.js"
import { CredentialBackend } from "../../src/Agent/Services/CredentialBackend.js"
import { Credentials, type CredentialsRequest } from "../../src/Agent/Services/Credentials.js"
import type { RoleSpec } from "../../src/Agent/Services/Credentials.js"
import { Logins } from "../../src/Agent/Services/Logins.js"
import { RoleRefresher } from "../../src/Agent/Services/RoleRefresher.js"
import { Sessions } from "../../src/Agent/Services/Sessions.js"
import { SessionStore } from "../../src/Agent/Services/SessionStore.js"
import { SsoRegistrations } from "../../src/Agent/Services/SsoRegistrations.js"
import {
  CompleteLogin,
  GetCredentials,
  ListRoles,
  ListSessions,
  RegisterClient,
  Shutdown,
  StartLogin
} from "../../src/Schemas/AgentProtocol.js"
import { agentHandle, agentServersDir, ask, localServer, stayingClient } from "../support/agent.js"

/** The handler table on the test layer of every service it uses. */
const handlersOn = () => {
  const requests: Array<CredentialsRequest> = []
  const touched: Array<RoleSpec> = []
  const layer = Layer.mergeAll(
    Credentials.layerTest({ requests }),
    RoleRefresher.layerTest({ touched }),
    Logins.Test,
    Sessions.layerTest(),
    SessionStore.layerTest(),
    CredentialBackend.layerTest({
      roles: [{ name: "123456789012/Admin", description: undefined }]
    }),
    SsoRegistrations.Test,
    Audit.layerTest()
  )
  return { layer, requests, touched }
}

const withHandle = <A, E>(
  use: (handle: Effect.Effect.Success<ReturnType<typeof agentHandle>>) => Effect.Effect<A, E>
) => Effect.flatMap(agentServersDir, (serversDir) => Effect.flatMap(agentHandle(serversDir), use))

describe("the agent's handlers", () => {
  it.scoped("answer GetCredentials from Credentials, and keep the role warm", () => {
    const sim = handlersOn()
    return withHandle(({ handle }) =>
      Effect.gen(function*() {
        const request = new GetCredentials({
          server: "local",
          role: "Admin",
          assumeRole: undefined,
          noCache: true,
          via: "credential-process"
        })
        expect((yield* ask(handle, request)).accessKeyId).toBe("AKID-Admin-1")
        expect(sim.requests.map(({ spec, noCache }) => [spec.server.id, spec.role, noCache])).toEqual([
          ["local", "Admin", true]
        ])
        expect(sim.touched.map((spec) => spec.role)).toEqual(["Admin"])
      })
    ).pipe(Effect.provide(sim.layer))
  })

  it.scoped("look servers up in the agent's own servers.d, naming the configured ones for an unknown name", () => {
    const sim = handlersOn()
    return withHandle(({ handle }) =>
      Effect.gen(function*() {
        const unknown = yield* Effect.flip(
          ask(
            handle,
            new GetCredentials({
              server: "nope",
              role: "R",
              assumeRole: undefined,
              noCache: false,
              via: "credential-process"
            })
          )
        )
        expect(unknown).toMatchObject({ _tag: "NotFound" })
        expect(unknown.message).toContain(`no server "nope" is configured in the agent's configuration`)
        expect(unknown.message).toContain("(configured: local)")
        expect(sim.requests).toEqual([])
      })
    ).pipe(Effect.provide(sim.layer))
  })

  it.scoped("list roles with the server's session, and sessions from the store", () => {
    const sim = handlersOn()
    return withHandle(({ handle }) =>
      Effect.gen(function*() {
        expect(yield* ask(handle, new ListRoles({ server: "local" }))).toEqual([
          { name: "123456789012/Admin", description: undefined }
        ])
        expect(yield* ask(handle, new ListSessions())).toEqual([])
      })
    ).pipe(Effect.provide(sim.layer))
  })

  it.scoped("start a login with the server's id, complete it, and register SSO clients by grant", () => {
    const sim = handlersOn()
    return withHandle(({ handle }) =>
      Effect.gen(function*() {
        const started = yield* ask(
          handle,
          new StartLogin({ server: "local", grantType: undefined, localPort: undefined })
        )
        expect(started).toMatchObject({ serverId: "local", joined: false, challenge: { userCode: "CODE" } })
        const info = yield* ask(handle, new CompleteLogin({ handle: started.challenge.handle }))
        expect(info).toMatchObject({ serverId: "local", serverUrl: localServer.url })
        const registered = yield* ask(handle, new RegisterClient({ server: "local", grantType: "device_grant" }))
        expect(registered.expiresAt.getTime()).toBe(90 * 24 * 60 * 60 * 1000)
      })
    ).pipe(Effect.provide(sim.layer))
  })

  it.scoped("stop the agent on Shutdown only once the answer has reached the client", () => {
    const sim = handlersOn()
    return withHandle(({ handle, stop }) =>
      Effect.gen(function*() {
        const answered = yield* Deferred.make<void>()
        yield* ask(handle, new Shutdown(), { ...stayingClient, answered: Deferred.await(answered) })
        yield* Effect.yieldNow()
        expect(yield* Deferred.isDone(stop)).toBe(false)
        yield* Deferred.succeed(answered, undefined)
        yield* Deferred.await(stop)
      })
    ).pipe(Effect.provide(sim.layer))
  })
})
