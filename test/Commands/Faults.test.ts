import * as fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { agentPids, collect, type MairuHome, runMairu, startMairu } from "../support/mairu.js"
import { writeServerConfig, writeServerFile } from "../support/servers.js"
import { loginByDevice, setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

const stillServes = async () => {
  await server.faults({ assumeRole: "none" })
  const result = await runMairu(home, ["credential-process", "local", "after-fault"])
  expect(result.code).toBe(0)
  expect(JSON.parse(result.stdout).Version).toBe(1)
}

describe("upstream faults", () => {
  it("reports a 500 without caching it, and keeps serving", async () => {
    await server.faults({ assumeRole: "500" })
    const result = await runMairu(home, ["credential-process", "local", "role-500"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("answered 500")
    await stillServes()
    const retried = await runMairu(home, ["credential-process", "local", "role-500"])
    expect(retried.code).toBe(0)
  })

  it("reports a body that is not JSON", async () => {
    await server.faults({ assumeRole: "invalid-json" })
    const result = await runMairu(home, ["credential-process", "local", "role-json"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("not valid")
    await stillServes()
  })

  it("gives up on a server that hangs, well under a minute", async () => {
    await server.faults({ assumeRole: "hang" })
    const started = Date.now()
    const [result, exec] = await Promise.all([
      runMairu(home, ["credential-process", "local", "role-hang"]),
      runMairu(home, ["exec", "--server", "local", "role-hang-exec", "sh", "-c", "echo ran"])
    ])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("no answer from")
    expect(Date.now() - started).toBeLessThan(40_000)
    // exec says it is waiting after 2 s, then fails without running the command.
    expect(exec.stderr).toContain("Waiting for credentials for role-hang-exec from local…")
    expect(exec.stderr).toContain("no credentials for role-hang-exec from local")
    expect(exec.stdout).toBe("")
    expect(exec.code).toBe(1)
    await stillServes()
  })
})

/** Resolves once the dev server has received a Mairu API request more than `before` (from upstreamCalls). */
const upstreamCalls = async () => (await server.stats()).apiUserAgents.length
const untilUpstreamCalled = async (before: number) => {
  while ((await upstreamCalls()) === before) await new Promise((r) => setTimeout(r, 50))
}

describe("processes that die mid-request", () => {
  it("a client killed while it waits leaves the agent serving", async () => {
    await server.faults({ assumeRole: "hang" })
    const before = await upstreamCalls()
    const child = startMairu(home, ["credential-process", "local", "role-abandoned"])
    child.stdin.end()
    const done = collect(child)
    // Waits for the state: the agent's request for the client hangs at the server.
    await untilUpstreamCalled(before)
    child.kill("SIGKILL")
    await done
    await stillServes()
  })

  it("an agent killed mid-request is reported, and the next command starts a new one", async () => {
    await server.faults({ assumeRole: "hang" })
    const before = await upstreamCalls()
    const child = startMairu(home, ["credential-process", "local", "role-orphaned"])
    child.stdin.end()
    const done = collect(child)
    await untilUpstreamCalled(before)
    const [pid] = agentPids(home)
    process.kill(pid!, "SIGKILL")
    const result = await done
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("the agent's socket closed before it answered")
    await server.faults({ assumeRole: "none" })
    const next = await runMairu(home, ["credential-process", "local", "demo"])
    expect(next.code).toBe(1)
    expect(next.stderr).toContain("not logged in to local")
    expect(agentPids(home)).toHaveLength(1)
    await loginByDevice(home, server)
  })
})

describe("configuration problems", () => {
  it("warns about a file that does not parse, naming it, and still uses the others", async () => {
    const broken = writeServerFile(home.configDir, "broken", "{ not json")
    try {
      const result = await runMairu(home, ["credential-process", "local", "demo"])
      expect(result.code).toBe(0)
      expect(result.stderr).toContain(`skipped server file ${broken}`)
    } finally {
      fs.rmSync(broken)
    }
  })

  it("names the configured servers when asked for an unknown one", async () => {
    const result = await runMairu(home, ["credential-process", "nope", "demo"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("no server \"nope\" is configured")
    expect(result.stderr).toContain("configured: local")
  })

  it("refuses a duplicate id and an ambiguous url, saying what to do", async () => {
    const twin = writeServerConfig(home.configDir, server, { id: "twin" })
    const copy = writeServerFile(home.configDir, "twin-copy", fs.readFileSync(twin, "utf8"))
    try {
      const duplicate = await runMairu(home, ["credential-process", "twin", "demo"])
      expect(duplicate.code).toBe(1)
      expect(duplicate.stderr).toContain("server id \"twin\" is defined 2 times")
      const ambiguous = await runMairu(home, ["credential-process", server.url, "demo"])
      expect(ambiguous.code).toBe(1)
      expect(ambiguous.stderr).toContain("is ambiguous")
      expect(ambiguous.stderr).toContain("use the id instead")
    } finally {
      fs.rmSync(twin)
      fs.rmSync(copy)
    }
  })
})

describe("a server that is gone", () => {
  it("is reported as refusing connections, and the agent keeps serving", async () => {
    await server.stop()
    const result = await runMairu(home, ["credential-process", "--no-cache", "local", "demo"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("ECONNREFUSED")
    const sessions = await runMairu(home, ["list-sessions"])
    expect(sessions.code).toBe(0)
  })
})
