import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { PROTOCOL_VERSION } from "../../src/Schemas/ProtocolVersion.js"
import {
  agentPids,
  cleanupHome,
  collect,
  type MairuHome,
  makeHome,
  memoryKb,
  runMairu,
  startMairu,
  waitForStderr
} from "../support/mairu.js"

const version = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8")).version as string

const homes: Array<MairuHome> = []
const cleanups: Array<() => void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup()
  await Promise.all(homes.splice(0).map(cleanupHome))
})

/** A home with 20 servers, so that each ListServers answer is a few kB. */
const newHome = () => {
  const home = makeHome()
  homes.push(home)
  const serversDir = path.join(home.configDir, "mairu", "servers.d")
  fs.mkdirSync(serversDir, { recursive: true })
  for (let i = 0; i < 20; i++) {
    fs.writeFileSync(
      path.join(serversDir, `server${i}.json`),
      JSON.stringify({
        id: `server${i}`,
        url: `https://credentials-${i}.example.com/`,
        oauth: { client_id: "c", device_grant: {} }
      })
    )
  }
  return home
}

/**
 * A client that sends `count` ListServers requests and never reads an answer. Resolves
 * with "sent" once the agent took them all, or "stalled" once it stopped taking them
 * (no progress over twenty looks 100 ms apart).
 */
const flood = (socketPath: string, count: number) => {
  const socket = net.createConnection(socketPath)
  socket.on("error", () => undefined)
  socket.pause()
  cleanups.push(() => socket.destroy())
  const lines = Array.from(
    { length: count },
    (_, i) => JSON.stringify({ v: PROTOCOL_VERSION, id: i + 1, version, request: { _tag: "ListServers" } }) + "\n"
  )
  const chunks: Array<string> = []
  for (let i = 0; i < lines.length; i += 200) chunks.push(lines.slice(i, i + 200).join(""))
  let taken = 0
  const sending = (async () => {
    await new Promise((resolve) => socket.once("connect", resolve))
    for (const chunk of chunks) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve))
      taken++
    }
  })()
  return new Promise<"sent" | "stalled">((resolve) => {
    void sending.then(() => resolve("sent"))
    let last = -1
    let still = 0
    const look = setInterval(() => {
      still = taken === last ? still + 1 : 0
      last = taken
      if (still >= 20) {
        clearInterval(look)
        resolve("stalled")
      }
    }, 100)
    cleanups.push(() => clearInterval(look))
  })
}

describe("a client that floods the agent without reading", () => {
  it.each(["the agent's socket", "a restricted socket"])(
    "on %s: the agent stops reading it, its memory stays bounded, and other clients are served",
    async (which) => {
      const home = newHome()
      expect((await runMairu(home, ["agent"])).code).toBe(0)
      const pids = agentPids(home)
      expect(pids).toHaveLength(1)
      const pid = pids[0]!
      let socketPath = home.socketPath
      if (which === "a restricted socket") {
        const folder = path.join(home.root, "forward")
        fs.mkdirSync(folder, { mode: 0o700 })
        socketPath = path.join(folder, "agent.sock")
        const forward = startMairu(home, ["forward-socket", socketPath, "--allow", "*/*"])
        forward.stdin.end()
        cleanups.push(() => forward.kill("SIGKILL"))
        void collect(forward, 600_000).catch(() => undefined)
        await waitForStderr(forward, /Serving \*\/\* at/)
      }
      // Warm: one answer of each kind before the baseline.
      expect((await runMairu(home, ["status"])).code).toBe(0)
      const baseline = memoryKb(pid, "VmRSS")

      // 40,000 answers of a few kB: 100 MB and more if the agent kept answering into a socket nobody reads.
      const outcome = await flood(socketPath, 40_000)
      expect(outcome).toBe("stalled")
      const flooded = memoryKb(pid, "VmRSS")
      expect(flooded - baseline).toBeLessThan(40 * 1024)

      const other = await runMairu(home, ["list-sessions"])
      expect(other.stderr).toContain("No sessions")
      expect(other.code).toBe(0)
      expect(memoryKb(pid, "VmRSS") - baseline).toBeLessThan(40 * 1024)
    }
  )
})
