import * as fs from "node:fs"
import * as net from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { agentPids, cleanupHome, collect, type MairuHome, makeHome, runMairu, startMairu } from "../support/mairu.js"

const homes: Array<MairuHome> = []
const newHome = (env: Record<string, string> = {}) => {
  const home = makeHome(env)
  homes.push(home)
  return home
}
afterEach(async () => {
  await Promise.all(homes.splice(0).map(cleanupHome))
})

describe("agent lifecycle", () => {
  it("is started by the first client, and kill-agent stops it", async () => {
    const home = newHome()
    const listed = await runMairu(home, ["list-sessions"])
    expect(listed.code).toBe(0)
    expect(listed.stderr).toContain("No sessions")
    expect(fs.lstatSync(home.socketPath).isSocket()).toBe(true)
    expect(fs.statSync(home.socketPath.replace(/\/[^/]+$/, "")).mode & 0o777).toBe(0o700)
    expect(agentPids(home)).toHaveLength(1)
    // Started with core dumps off: a crash never writes its memory to disk.
    const limits = fs.readFileSync(`/proc/${agentPids(home)[0]}/limits`, "utf8")
    expect(limits).toMatch(/Max core file size\s+0\s+0/)

    const killed = await runMairu(home, ["kill-agent"])
    expect(killed.code).toBe(0)
    expect(killed.stderr).toContain("The agent has stopped")
    // Said only once the process is gone.
    expect(agentPids(home)).toHaveLength(0)
    expect(fs.existsSync(home.socketPath)).toBe(false)

    const again = await runMairu(home, ["kill-agent"])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain("No agent is running")
  })

  it("fails with MAIRU_NO_AUTO_AGENT instead of starting an agent", async () => {
    const home = newHome({ MAIRU_NO_AUTO_AGENT: "1" })
    const result = await runMairu(home, ["list-sessions"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("MAIRU_NO_AUTO_AGENT is set")
    expect(result.stderr).toContain("mairu agent")
    expect(fs.existsSync(home.socketPath)).toBe(false)
    expect(agentPids(home)).toHaveLength(0)
  })

  it("replaces a stale socket and refuses a second live agent", async () => {
    const home = newHome()
    // A socket file nobody listens on: bind, then close without unlinking.
    fs.mkdirSync(home.socketPath.replace(/\/[^/]+$/, ""), { recursive: true, mode: 0o700 })
    const stale = net.createServer()
    await new Promise<void>((r) => stale.listen(home.socketPath, r))
    const staleIno = fs.lstatSync(home.socketPath).ino
    // Closing a server removes its socket file; re-create a dead one by hard link trick.
    fs.linkSync(home.socketPath, home.socketPath + ".keep")
    await new Promise<void>((r) => stale.close(() => r()))
    fs.renameSync(home.socketPath + ".keep", home.socketPath)
    expect(fs.lstatSync(home.socketPath).ino).toBe(staleIno)

    const started = await runMairu(home, ["agent"])
    expect(started.code).toBe(0)
    expect(started.stderr).toContain("Started the agent")
    expect(fs.lstatSync(home.socketPath).ino).not.toBe(staleIno)

    const second = await runMairu(home, ["agent", "--foreground"])
    expect(second.code).toBe(1)
    expect(second.stderr).toContain("an agent is already running")
    expect(agentPids(home)).toHaveLength(1)

    const already = await runMairu(home, ["agent"])
    expect(already.code).toBe(0)
    expect(already.stderr).toContain("already running")
  })

  it("refuses a path that is not a socket", async () => {
    const home = newHome()
    fs.mkdirSync(home.socketPath.replace(/\/[^/]+$/, ""), { recursive: true, mode: 0o700 })
    fs.writeFileSync(home.socketPath, "not a socket")
    const result = await runMairu(home, ["agent", "--foreground"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("is not a socket")
    expect(fs.readFileSync(home.socketPath, "utf8")).toBe("not a socket")
    // The agent's own entry (taken above) and the full CLI say the same.
    const full = await runMairu(home, ["agent", "--foreground"], { env: { MAIRU_NO_FAST_PATH: "1" } })
    expect(full).toEqual(result)
  })

  it("refuses a shared socket folder, and the client says so at once", async () => {
    const home = newHome({ MAIRU_AGENT_SOCK: `/tmp/mairu-test-${process.pid}-${Date.now()}.sock` })
    const foreground = await runMairu(home, ["agent", "--foreground"])
    expect(foreground.code).toBe(1)
    expect(foreground.stderr).toContain("is a shared folder")
    expect(foreground.stderr).toContain("MAIRU_AGENT_SOCK")
    const started = Date.now()
    const client = await runMairu(home, ["list-sessions"])
    expect(client.code).toBe(1)
    expect(client.stderr).toContain("the agent exited as it started")
    expect(client.stderr).toContain("mairu agent --foreground")
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it("ends with one agent when ten clients race to start it", async () => {
    const home = newHome()
    const results = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          collect(
            startMairu(home, ["list-sessions"]).once("spawn", function(this: { stdin: { end(): void } }) {
              this.stdin.end()
            })
          )
      )
    )
    for (const result of results) {
      expect(result.stderr).toContain("No sessions")
      expect(result.code).toBe(0)
    }
    // Agents that lost the race exit once they see the winner; on a busy machine some are still starting.
    for (let waited = 0; agentPids(home).length > 1 && waited < 20_000; waited += 250) {
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(agentPids(home)).toHaveLength(1)
  })
})
