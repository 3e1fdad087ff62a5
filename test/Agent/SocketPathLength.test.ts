import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { temporaryName } from "../../src/Agent/SocketServer.js"
import {
  cleanupHome,
  collect,
  type MairuHome,
  makeHome,
  runMairu,
  startMairu,
  waitForStderr
} from "../support/mairu.js"

// Socket paths up to the system's limit work (108 bytes on Linux); longer ones are refused,
// before anything binds, with the limit and the path's length named.

const homes: Array<MairuHome> = []
afterEach(async () => {
  await Promise.all(homes.splice(0).map(cleanupHome))
})

/** A home whose agent socket, `mairu-agent.sock` as by default, has a path of exactly `bytes` bytes. */
const homeWithSocketOf = (bytes: number): MairuHome => {
  const home = makeHome()
  const name = "mairu-agent.sock"
  const folder = path.join(home.root, "f".repeat(bytes - home.root.length - name.length - 2))
  const socketPath = path.join(folder, name)
  expect(Buffer.byteLength(socketPath)).toBe(bytes)
  const long = { ...home, socketPath, env: { ...home.env, MAIRU_AGENT_SOCK: socketPath } }
  homes.push(long)
  return long
}

describe("socket paths and the system's limit", () => {
  it("starts an agent on a path of exactly 100 bytes, and of 108 (the limit), and answers on it", async () => {
    for (const bytes of [100, 108]) {
      const home = homeWithSocketOf(bytes)
      const sessions = await runMairu(home, ["list-sessions"])
      expect(sessions.stderr).toBe(":: mairu :: No sessions. Log in with: mairu login SERVER\n")
      expect(sessions.code).toBe(0)
      const status = JSON.parse((await runMairu(home, ["status", "--json"])).stdout) as {
        agent: { running: boolean; socket: string }
      }
      expect(status.agent).toMatchObject({ running: true, socket: home.socketPath })
      expect(fs.lstatSync(home.socketPath).isSocket()).toBe(true)
      // Only the socket and its owner marker: the temporary name is gone.
      expect(fs.readdirSync(path.dirname(home.socketPath)).sort()).toEqual(
        [path.basename(home.socketPath), `${path.basename(home.socketPath)}.owner`].sort()
      )
    }
  })

  it("refuses a 120-byte path in clients and in the agent, naming the limit, the length and MAIRU_AGENT_SOCK", async () => {
    const home = homeWithSocketOf(120)
    const expected = `${home.socketPath} is 120 bytes long, but a socket path on Linux holds at most 108 bytes; ` +
      "set MAIRU_AGENT_SOCK to a shorter path"
    for (const args of [["credential-process", "local", "demo"], ["list-sessions"]]) {
      const result = await runMairu(home, args)
      expect(result.code, args.join(" ")).toBe(1)
      expect(result.stderr).toContain(`refusing the agent socket: ${expected}`)
      expect(result.stderr).not.toContain("ENOENT")
    }
    const foreground = await runMairu(home, ["agent", "--foreground"])
    expect(foreground.code).toBe(1)
    expect(foreground.stderr).toContain(`cannot start the agent: ${expected}`)
    const status = await runMairu(home, ["status", "--json"])
    expect(JSON.parse(status.stdout).problems).toContain(`the agent socket is not used: ${expected}`)
    // Nothing bound anywhere, not even at the path cut to 108 bytes.
    const folder = path.dirname(home.socketPath)
    expect(fs.existsSync(folder) ? fs.readdirSync(folder) : []).toEqual([])
  })

  it("opens a forward-socket at 100 bytes, and refuses one at 120 naming the limit", async () => {
    const home = homeWithSocketOf(60)
    /** `agent.sock` in a folder of its own, the path `bytes` long. */
    const at = (bytes: number) => {
      const folder = path.join(home.root, "r".repeat(bytes - home.root.length - "/agent.sock".length - 1))
      fs.mkdirSync(folder, { recursive: true, mode: 0o700 })
      return path.join(folder, "agent.sock")
    }
    const tooLong = await runMairu(home, ["forward-socket", at(120), "--allow", "local/*"])
    expect(tooLong.code).toBe(1)
    expect(tooLong.stderr).toContain(
      `${at(120)} is 120 bytes long, but a socket path on Linux holds at most 108 bytes; choose a shorter PATH`
    )
    expect(tooLong.stderr).not.toContain("ENOENT")
    const forward = startMairu(home, ["forward-socket", at(100), "--allow", "local/*"])
    forward.stdin.end()
    const done = collect(forward)
    await waitForStderr(forward, /Serving local\/\* at/)
    const through = await runMairu(home, ["list-sessions"], { env: { MAIRU_AGENT_SOCK: at(100) } })
    expect(through.code).toBe(0)
    forward.kill("SIGTERM")
    await done
  })

  it("binds through a temporary name never longer than the socket's own", () => {
    for (const name of ["mairu-agent.sock", "agent.sock", "ab", "s", "ü"]) {
      for (let i = 0; i < 50; i++) {
        const temporary = temporaryName(name)
        expect(Buffer.byteLength(temporary)).toBeLessThanOrEqual(Buffer.byteLength(name))
        expect(temporary).not.toBe(name)
        expect(temporary).toMatch(Buffer.byteLength(name) > 1 ? /^\.[a-z0-9]+$/ : /^[a-z0-9]$/)
      }
    }
  })
})
