import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { PermissionDenied, Unauthenticated } from "../../src/Schemas/AgentErrors.js"
import { terminalRecord } from "../../src/Services/Terminal.js"
import { answering, fakeCredentials, runCli } from "../support/cli.js"
import { mairuApiServer } from "../support/servers.js"

const local = mairuApiServer("local")

describe("exec while its command runs", () => {
  it.effect("tells a failure to renew once, however often the command's programs ask the endpoint", () =>
    Effect.gen(function*() {
      let asked = 0
      const fetches: Array<Effect.Effect<void>> = []
      const run = yield* runCli(["exec", "--server", "local", "demo", "aws", "s3", "ls"], {
        servers: [local],
        fetches,
        agent: answering({
          GetCredentials: () =>
            ++asked === 1
              ? Effect.succeed(fakeCredentials)
              : Effect.fail(new PermissionDenied({ message: "the role was taken away" })),
          WatchSession: () => Effect.never
        }),
        // The command asks the endpoint three times while it runs.
        run: () => Effect.as(Effect.all([...fetches, ...fetches, ...fetches]), { _tag: "Exited", code: 3 })
      })
      expect(run.code).toBe(3)
      expect(asked).toBe(4)
      expect(run.messages).toEqual([
        "cannot renew credentials for demo from local: permission denied: the role was taken away. " +
        "Logging in again will not help; ask the server's administrator."
      ])
    }))

  it.effect("tells once that the session ended, and the command still ends as it ends", () =>
    Effect.gen(function*() {
      const terminal = terminalRecord()
      const untilTold = Effect.repeat(Effect.zipRight(Effect.yieldNow(), Effect.sync(() => terminal.messages.length)), {
        until: (told) => told > 0
      })
      const run = yield* runCli(["exec", "--server", "local", "demo", "sleep", "1"], {
        servers: [local],
        terminal,
        agent: answering({
          GetCredentials: () => Effect.succeed(fakeCredentials),
          WatchSession: () => Effect.fail(new Unauthenticated({ serverId: "local", message: "logged out of local" }))
        }),
        // The command runs until the ended session was told, then dies by a signal.
        run: () => Effect.as(untilTold, { _tag: "Signaled", signal: "SIGTERM" })
      })
      expect(run.messages).toEqual([
        "cannot renew credentials for demo from local: logged out of local. Log in with: mairu login local"
      ])
      expect(run.code).toBe(128)
    }))

  it.effect("in static mode, watches the session once the command has run for a second, and tells an ended one", () =>
    Effect.gen(function*() {
      const terminal = terminalRecord()
      const untilTold = Effect.repeat(Effect.zipRight(Effect.yieldNow(), Effect.sync(() => terminal.messages.length)), {
        until: (told) => told > 0,
        times: 1_000
      })
      const requests: Array<string> = []
      const run = yield* runCli(["exec", "--server", "local", "--mode", "static", "demo", "sleep", "5"], {
        servers: [local],
        terminal,
        agent: answering({
          GetCredentials: () => Effect.sync(() => requests.push("GetCredentials")).pipe(Effect.as(fakeCredentials)),
          WatchSession: () =>
            Effect.sync(() => requests.push("WatchSession")).pipe(
              Effect.zipRight(Effect.fail(new Unauthenticated({ serverId: "local", message: "logged out of local" })))
            )
        }),
        // Nothing is watched in the command's first second; after it, the ended session is told.
        run: () =>
          Effect.gen(function*() {
            yield* TestClock.adjust("999 millis")
            yield* Effect.repeatN(Effect.yieldNow(), 20)
            expect(requests).toEqual(["GetCredentials"])
            yield* TestClock.adjust("1 millis")
            yield* untilTold
            expect(requests).toEqual(["GetCredentials", "WatchSession"])
            return { _tag: "Exited", code: 0 } as const
          })
      })
      expect(run.code).toBe(0)
      expect(run.messages).toEqual([
        "cannot renew credentials for demo from local: logged out of local. Log in with: mairu login local"
      ])
    }))

  it.effect("in static mode, opens no watch for a command that ends within a second", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["exec", "--server", "local", "--mode", "static", "demo", "true"], {
        servers: [local],
        agent: answering({
          GetCredentials: () => Effect.succeed(fakeCredentials),
          WatchSession: () => Effect.never
        }),
        run: () => Effect.as(TestClock.adjust("999 millis"), { _tag: "Exited", code: 0 })
      })
      expect(run.code).toBe(0)
      // Nor later: the watch ended with the command.
      yield* TestClock.adjust("1 second")
      expect(run.requests.map((request) => request._tag)).toEqual(["ResolveServer", "GetCredentials"])
    }))
})
