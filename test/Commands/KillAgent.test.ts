import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { VERSION } from "../../src/Version.js"
import { answering, runCli } from "../support/cli.js"

/** A pid no process has: the kernel's pid_max is at most 2^22. */
const GONE = 2 ** 22 + 1
const agentWithPid = (pid: number) =>
  answering({
    Hello: () =>
      Effect.succeed({
        version: VERSION,
        protocol: 1,
        pid,
        startedAt: new Date(0),
        hardening: { coreDumpsOff: true, debuggersBlocked: true, inspectorClosed: true },
        audit: { entries: 0, file: undefined, problem: undefined }
      }),
    Shutdown: () => Effect.void
  })

describe("kill-agent", () => {
  it.effect("says so when no agent runs, and asks nothing", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["kill-agent"], { running: false })
      expect([run.code, run.requests]).toEqual([0, []])
      expect(run.messages).toEqual(["No agent is running at /home/test/.local/state/mairu/run/mairu-agent.sock."])
    }))

  it.effect("asks the agent to stop and tells once its process is gone", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["kill-agent"], { agent: agentWithPid(GONE) })
      expect(run.code).toBe(0)
      expect(run.requests.map((request) => request._tag)).toEqual(["Hello", "Shutdown"])
      expect(run.messages).toEqual(["The agent has stopped; every session it held is gone."])
    }))

  it.effect("gives up after 5 s on an agent that stays, naming its pid and how to end it", () =>
    Effect.gen(function*() {
      // This test's own process stands for an agent that does not stop.
      const running = yield* Effect.fork(runCli(["kill-agent"], { agent: agentWithPid(process.pid) }))
      yield* TestClock.adjust("5 seconds")
      const run = yield* Fiber.join(running)
      expect(run.code).toBe(1)
      expect(run.messages).toEqual([
        `Asked the agent to stop, but it is still running after 5 s (pid ${process.pid}); end it with: kill ${process.pid}.`
      ])
    }))
})
