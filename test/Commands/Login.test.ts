import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Unauthenticated } from "../../src/Schemas/AgentErrors.js"
import { answering, fakeCredentials, fakeSession, runCli } from "../support/cli.js"
import { mairuApiServer } from "../support/servers.js"

const local = mairuApiServer("local")
const session = fakeSession(local)
const deviceChallenge = {
  _tag: "DeviceGrant" as const,
  handle: "h1",
  userCode: "ABCD-EFGH",
  verificationUri: "https://cred.example/device",
  verificationUriComplete: undefined,
  expiresAt: new Date("2030-01-01T00:00:00Z")
}

/** An agent that logs in by whatever grant it is asked for, and has a session once a login completed. */
const loggingIn = () => {
  let loggedIn = false
  return answering({
    StartLogin: () => Effect.succeed({ serverId: "local", challenge: deviceChallenge, joined: false }),
    CompleteLogin: () =>
      Effect.sync(() => {
        loggedIn = true
        return session
      }),
    GetCredentials: () =>
      loggedIn
        ? Effect.succeed(fakeCredentials)
        : Effect.fail(new Unauthenticated({ serverId: "local", message: "not logged in to local" })),
    WatchSession: () => Effect.never
  })
}

const grantsAskedFor = (run: { readonly requests: ReadonlyArray<{ readonly _tag: string }> }) =>
  run.requests.flatMap((request) =>
    request._tag === "StartLogin" ? [(request as { grantType?: string }).grantType] : []
  )

describe("--oauth-grant-type", () => {
  it.effect("takes the original's spellings: device-code and aws_sso mean the device grant, on login and on exec", () =>
    Effect.gen(function*() {
      for (
        const [spelling, grant] of [["code", "code_grant"], ["device_code", "device_grant"], [
          "device-code",
          "device_grant"
        ], ["aws_sso", "device_grant"]]
      ) {
        const login = yield* runCli(["login", "--oauth-grant-type", spelling!, "local"], { agent: loggingIn() })
        expect({ spelling, code: login.code, grants: grantsAskedFor(login) }).toEqual({
          spelling,
          code: 0,
          grants: [grant]
        })
      }
      const exec = yield* runCli(
        ["exec", "--oauth-grant-type", "device-code", "--server", "local", "R", "echo", "ran"],
        { agent: loggingIn(), servers: [local] }
      )
      expect(exec.code).toBe(0)
      expect(grantsAskedFor(exec)).toEqual(["device_grant"])
      expect(exec.ran.map((ran) => ran.command)).toEqual([["echo", "ran"]])
      expect(exec.messages).toContain("not logged in to local; logging in to local.")
      expect(exec.messages).toContain(
        "To log in to local, open https://cred.example/device\nand confirm the code: ABCD-EFGH"
      )
      const refused = yield* runCli(["login", "--oauth-grant-type", "password", "local"], { agent: loggingIn() })
      expect(refused.code).toBe(1)
      expect(refused.requests).toEqual([])
    }))

  it.effect("leaves the grant to the server's default without the flag", () =>
    Effect.gen(function*() {
      const login = yield* runCli(["login", "local"], { agent: loggingIn() })
      expect(grantsAskedFor(login)).toEqual([undefined])
      expect(login.messages.at(-1)).toMatch(/^Logged in to local \(session valid until .+\)\.$/)
    }))
})

describe("MAIRU_LOCAL_PORT", () => {
  it.effect("is the code grant's callback port, and is refused unless it is a port number", () =>
    Effect.gen(function*() {
      const ok = yield* runCli(["login", "local"], { agent: loggingIn(), env: { MAIRU_LOCAL_PORT: "8123" } })
      expect(ok.requests[0]).toMatchObject({ _tag: "StartLogin", server: "local", localPort: 8123 })
      for (const bad of ["http", "0", "65536", "80.5"]) {
        const run = yield* runCli(["login", "local"], { agent: loggingIn(), env: { MAIRU_LOCAL_PORT: bad } })
        expect({ code: run.code, messages: run.messages, requests: run.requests }).toEqual({
          code: 1,
          messages: [`MAIRU_LOCAL_PORT="${bad}" is not a port number (1-65535)`],
          requests: []
        })
      }
    }))
})
