import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { cleanupHome, type MairuHome, makeHome, runMairu } from "../support/mairu.js"

const homes: Array<MairuHome> = []
afterEach(async () => {
  await Promise.all(homes.splice(0).map(cleanupHome))
})

/** A socket file that nothing listens on, with no owner marker: what the original Rust agent leaves when it dies. */
const leaveDeadSocket = async (socketPath: string) => {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 })
  const gone = net.createServer()
  await new Promise<void>((resolve) => gone.listen(socketPath, resolve))
  fs.linkSync(socketPath, socketPath + ".keep")
  await new Promise<void>((resolve) => gone.close(() => resolve()))
  fs.renameSync(socketPath + ".keep", socketPath)
  expect(fs.lstatSync(socketPath).isSocket()).toBe(true)
}

describe("a dead socket at the default place", () => {
  it("is taken over with a message, though no marker says a mairu agent left it", async () => {
    // MAIRU_AGENT_SOCK unset: the default place, STATE/run/mairu-agent.sock.
    const base = makeHome()
    const socketPath = path.join(base.stateDir, "mairu", "run", "mairu-agent.sock")
    const home = { ...base, socketPath, env: { ...base.env, MAIRU_AGENT_SOCK: "" } }
    homes.push(home)
    // The full CLI, then the fast path (which then fails: no server is configured).
    for (const args of [["list-sessions"], ["credential-process", "local", "demo"]]) {
      await leaveDeadSocket(socketPath)
      const result = await runMairu(home, args)
      expect(result.stderr).toContain(
        `:: mairu :: Nothing answers at ${socketPath}: an agent that is gone left it (the original Rust Mairu's, ` +
          "or one that crashed). Starting a new agent there."
      )
      const status = JSON.parse((await runMairu(home, ["status", "--json"])).stdout) as {
        agent: { running: boolean; socket: string }
      }
      expect(status.agent).toMatchObject({ running: true, socket: socketPath })
      expect((await runMairu(home, ["kill-agent"])).code).toBe(0)
    }
  })
})
