import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { PermissionDenied, Unauthenticated } from "../../src/Schemas/AgentErrors.js"
import { terminalRecord } from "../../src/Services/Terminal.js"
import { answering, fakeCredentials, runCli } from "../support/cli.js"
import { mairuApiServer } from "../support/servers.js"

const local = mairuApiServer("local")

describe("exec's preflight", () => {
  it.effect("fails without running the command, naming server, role and reason", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["exec", "--server", "local", "forbidden-role", "sh", "-c", "echo ran"], {
        servers: [local],
        agent: () => Effect.fail(new PermissionDenied({ message: "the server refused forbidden-role (403)" }))
      })
      expect(run.code).toBe(1)
      expect(run.ran).toEqual([])
      expect(run.messages).toEqual([
        "cannot run sh: no credentials for forbidden-role from local: permission denied: the server refused " +
        "forbidden-role (403). Logging in again will not help; ask the server's administrator."
      ])
    }))

  it.effect("with --no-login, prints the login command instead of logging in", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["exec", "--no-login", "--server", "local", "demo", "sh", "-c", "echo ran"], {
        servers: [local],
        agent: answering({
          GetCredentials: () =>
            Effect.fail(new Unauthenticated({ serverId: "local", message: "not logged in to local" }))
        })
      })
      expect([run.code, run.ran, run.products]).toEqual([1, [], []])
      expect(run.messages).toEqual([
        "cannot run sh: no credentials for demo from local: not logged in to local. Log in with: mairu login local"
      ])
      expect(run.requests.map((request) => request._tag)).toEqual(["ResolveServer", "GetCredentials"])
    }))

  it.effect("says it is waiting for credentials after 2 s, and only then", () =>
    Effect.gen(function*() {
      const asked = yield* Deferred.make<void>()
      const answered = yield* Deferred.make<void>()
      const terminal = terminalRecord()
      const running = yield* Effect.fork(
        runCli(["exec", "--server", "local", "slow-role", "true"], {
          servers: [local],
          terminal,
          agent: answering({
            GetCredentials: () =>
              Deferred.succeed(asked, undefined).pipe(
                Effect.zipRight(Deferred.await(answered)),
                Effect.as(fakeCredentials)
              ),
            WatchSession: () => Effect.never
          })
        })
      )
      yield* Deferred.await(asked)
      yield* TestClock.adjust("1999 millis")
      expect(terminal.messages).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(terminal.messages).toEqual(["Waiting for credentials for slow-role from local…"])
      yield* Deferred.succeed(answered, undefined)
      const run = yield* Fiber.join(running)
      expect(run.code).toBe(0)
      expect(run.ran.map((ran) => ran.command)).toEqual([["true"]])
    }))

  it.effect("without a command to run, says how to give one", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["exec", "--server", "local", "demo"], { servers: [local] })
      expect([run.code, run.messages]).toEqual([1, ["no command given: mairu exec [OPTIONS] ROLE COMMAND [ARGS…]"]])
    }))
})
