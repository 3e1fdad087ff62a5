import * as fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { type FakeAgentLine, startFakeAgent, stopFakeAgent } from "../support/fakeAgent.js"
import { cleanupHome, type MairuHome, makeHome, runMairu } from "../support/mairu.js"
import { writeServerConfig, writeServerFile } from "../support/servers.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

const FULL = { MAIRU_NO_FAST_PATH: "1" }

/** Runs credential-process both ways and expects the very same stdout, stderr and exit code. */
const same = async (h: MairuHome, args: Array<string>, env: Record<string, string> = {}) => {
  const fast = await runMairu(h, ["credential-process", ...args], { env })
  const full = await runMairu(h, ["credential-process", ...args], { env: { ...env, ...FULL } })
  expect({ code: fast.code, stdout: fast.stdout, stderr: fast.stderr }).toEqual({
    code: full.code,
    stdout: full.stdout,
    stderr: full.stderr
  })
  return fast
}

describe("the fast credential-process path", () => {
  it("is the path taken: it asks the agent to look the server up by name", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      const seen: Array<FakeAgentLine["request"]> = []
      const fake = await startFakeAgent(h.socketPath, ({ id, request }, socket) => {
        seen.push(request)
        socket.end(
          JSON.stringify({
            id,
            exit: { _tag: "Failure", cause: { _tag: "Fail", error: { _tag: "Unknown", message: "fake agent" } } }
          }) + "\n"
        )
      })
      const fast = await runMairu(h, ["credential-process", "local", "demo"])
      await stopFakeAgent(fake)
      expect(fast.code).toBe(1)
      expect(fast.stderr).toBe(":: mairu :: fake agent\n")
      expect(seen[0]).toEqual({
        _tag: "GetCredentials",
        server: "local",
        role: "demo",
        noCache: false,
        via: "credential-process"
      })
    } finally {
      fs.rmSync(h.root, { recursive: true, force: true })
    }
  })

  it("gives the same answer as the full path on success", async () => {
    const result = await same(home, ["local", "123456789012/Developer"])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).Version).toBe(1)
  })

  it("gives the same answer as the full path for an unknown server, with the same warnings", async () => {
    const broken = writeServerFile(home.configDir, "broken", "{")
    try {
      const result = await same(home, ["nope", "demo"])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain("skipped server file")
      expect(result.stderr).toContain("no server \"nope\" is configured")
    } finally {
      fs.rmSync(broken)
    }
  })

  it("gives the same answer as the full path when not logged in", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      await runMairu(h, ["agent"])
      const result = await same(h, ["local", "demo"])
      expect(result.code).toBe(1)
      expect(result.stdout).toBe("")
      expect(result.stderr).toContain("mairu login local")
    } finally {
      await cleanupHome(h)
    }
  })

  it("gives the same answer as the full path when no agent runs", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      const refused = await same(h, ["local", "demo"], { MAIRU_NO_AUTO_AGENT: "1" })
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain("MAIRU_NO_AUTO_AGENT is set")
      // Without it, the first call starts the agent (through the full path) and both agree afterwards.
      const started = await runMairu(h, ["credential-process", "local", "demo"])
      expect(started.code).toBe(1)
      expect(started.stderr).toContain("not logged in to local")
      await same(h, ["local", "demo"])
    } finally {
      await cleanupHome(h)
    }
  })

  it("prints the same top-level help as the full CLI, and the version", async () => {
    const fast = await runMairu(home, ["--help"])
    const full = await runMairu(home, ["--help"], { env: FULL })
    expect(fast.code).toBe(0)
    expect(fast.stdout).toBe(full.stdout)
    expect(fast.stdout).toContain("credential-process")
    expect((await runMairu(home, ["--version"])).stdout).toBe("0.1.0\n")
  })

  it("leaves options it does not know to the full CLI", async () => {
    const help = await runMairu(home, ["credential-process", "--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("credential-process")
  })
})
