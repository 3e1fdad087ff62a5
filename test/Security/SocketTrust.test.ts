import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { agentPids, cleanupHome, type MairuHome, makeHome, runMairu } from "../support/mairu.js"
import { writeServerFile } from "../support/servers.js"

// Another local user: nobody (uid 65534), as the tests run as root.
const OTHER = 65534
const asOther = ["setpriv", `--reuid=${OTHER}`, `--regid=${OTHER}`, "--clear-groups"]

/**
 * A fake agent of the other user at `socketPath`: it answers every line with fake
 * credentials and writes a line to `log` for each connection.
 */
const fakeAgent = async (socketPath: string, log: string) => {
  const script = `
    const net = require("node:net"), fs = require("node:fs")
    net.createServer((s) => {
      fs.appendFileSync(${JSON.stringify(log)}, "connection\\n")
      s.on("error", () => s.destroy())
      s.on("data", () => s.write(JSON.stringify({ id: 1, exit: { _tag: "Success", value: { accessKeyId: "AKIAFAKE" } } }) + "\\n"))
    }).listen(${JSON.stringify(socketPath)}, () => process.stdout.write("ready\\n"))`
  const child = spawn(asOther[0]!, [...asOther.slice(1), process.execPath, "-e", script], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  children.push(child)
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve())
    child.once("exit", (code) => reject(new Error(`the fake agent exited (${code})`)))
  })
  expect(fs.lstatSync(socketPath).uid).toBe(OTHER)
}

const homes: Array<MairuHome> = []
const children: Array<ReturnType<typeof spawn>> = []
const stops: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const child of children.splice(0)) child.kill()
  await Promise.all(stops.splice(0).map((stop) => stop()))
  await Promise.all(homes.splice(0).map(cleanupHome))
})

/** A home whose root other users may enter (mkdtemp makes it 0700), with a server "local" nothing answers for. */
const newHome = () => {
  const home = makeHome()
  homes.push(home)
  fs.chmodSync(home.root, 0o755)
  writeServerFile(home.configDir, "local", {
    id: "local",
    url: "http://127.0.0.1:9/",
    oauth: { client_id: "c", device_grant: {}, code_grant: {} }
  })
  return home
}

const otherOwns = (dir: string, mode: number) => {
  fs.mkdirSync(dir, { recursive: true })
  fs.chownSync(dir, OTHER, OTHER)
  fs.chmodSync(dir, mode)
}

/** The client commands that must not believe the fake agent, fast path and full CLI. */
const expectRefused = async (home: MairuHome, socketPath: string, log: string, reason: RegExp) => {
  const env = { MAIRU_AGENT_SOCK: socketPath }
  for (const args of [["credential-process", "local", "demo"], ["list-sessions"], ["login", "--no-browser", "local"]]) {
    const result = await runMairu(home, args, { env })
    expect(result.code, args.join(" ")).toBe(1)
    expect(result.stdout).not.toContain("AKIAFAKE")
    expect(result.stderr).toContain("refusing the agent socket")
    expect(result.stderr).toMatch(reason)
  }
  const status = await runMairu(home, ["status"], { env })
  expect(status.stderr + status.stdout).toMatch(reason)
  // The client never even connected.
  expect(fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "").toBe("")
}

describe("socket trust", () => {
  it("refuses a socket under a folder that others can write (no sticky bit), and the agent refuses it too", async () => {
    const home = newHome()
    const shared = path.join(home.root, "shared")
    fs.mkdirSync(shared)
    fs.chmodSync(shared, 0o777)
    // The other user makes the socket's folder their own and listens there.
    const folder = path.join(shared, "mairu")
    otherOwns(folder, 0o700)
    const socketPath = path.join(folder, "agent.sock")
    const log = path.join(home.root, "connections.log")
    await fakeAgent(socketPath, log)
    await expectRefused(
      home,
      socketPath,
      log,
      new RegExp(`${shared} can be written by other users \\(mode 0777, no sticky bit\\).*chmod go-w ${shared}`)
    )

    // The user's own agent on a path in that folder refuses to listen.
    const own = path.join(shared, "mine", "agent.sock")
    const agent = await runMairu(home, ["agent", "--foreground"], { env: { MAIRU_AGENT_SOCK: own } })
    expect(agent.code).toBe(1)
    expect(agent.stderr).toContain(`${shared} can be written by other users`)
    expect(fs.existsSync(own)).toBe(false)
  })

  it("refuses a parent folder owned by another user", async () => {
    const home = newHome()
    const foreign = path.join(home.root, "foreign")
    otherOwns(foreign, 0o755)
    const folder = path.join(foreign, "mairu")
    otherOwns(folder, 0o700)
    const socketPath = path.join(folder, "agent.sock")
    const log = path.join(home.root, "connections.log")
    await fakeAgent(socketPath, log)
    await expectRefused(
      home,
      socketPath,
      log,
      new RegExp(`${foreign} belongs to uid ${OTHER}, neither you \\(uid 0\\) nor root`)
    )

    const agent = await runMairu(home, ["agent", "--foreground"], {
      env: { MAIRU_AGENT_SOCK: path.join(foreign, "x", "a.sock") }
    })
    expect(agent.code).toBe(1)
    expect(agent.stderr).toContain(`${foreign} belongs to uid ${OTHER}`)
  })

  it("follows a symbolic link and checks where it leads: a link to the other user's folder is refused", async () => {
    const home = newHome()
    const folder = path.join(home.root, "theirs")
    otherOwns(folder, 0o700)
    const log = path.join(home.root, "connections.log")
    await fakeAgent(path.join(folder, "agent.sock"), log)
    const link = path.join(home.root, "link")
    fs.symlinkSync(folder, link)
    await expectRefused(home, path.join(link, "agent.sock"), log, new RegExp(`${folder} belongs to uid ${OTHER}`))
  })

  it("walks `link/..` as the kernel does: a path that reads as the user's own socket but leads to another user's agent is refused", async () => {
    const home = newHome()
    // The user's own agent, where the path reads as text once `nlink/..` is dropped.
    const own = path.join(home.root, "mine", "agent.sock")
    const started = await runMairu(home, ["agent"], { env: { MAIRU_AGENT_SOCK: own } })
    stops.push(() => runMairu(home, ["kill-agent"], { env: { MAIRU_AGENT_SOCK: own } }))
    expect(started.code).toBe(0)
    // The other user's fake agent, where the kernel goes: up from where the link leads.
    const theirs = path.join(home.root, "theirs")
    otherOwns(theirs, 0o755)
    otherOwns(path.join(theirs, "sub"), 0o755)
    otherOwns(path.join(theirs, "mine"), 0o700)
    const log = path.join(home.root, "connections.log")
    await fakeAgent(path.join(theirs, "mine", "agent.sock"), log)
    const link = path.join(home.root, "nlink")
    fs.symlinkSync(path.join(theirs, "sub"), link)
    const socketPath = `${link}/../mine/agent.sock`
    const reason = new RegExp(`${theirs} belongs to uid ${OTHER}, neither you`)
    await expectRefused(home, socketPath, log, reason)
    // A `..` without a link before it leads where it reads.
    const dots = await runMairu(home, ["list-sessions"], {
      env: { MAIRU_AGENT_SOCK: `${home.root}/mine/../mine/agent.sock` }
    })
    expect(dots.stderr).toContain("No sessions")
    expect(dots.code).toBe(0)
    // Nor does an agent listen there.
    const agent = await runMairu(home, ["agent", "--foreground"], { env: { MAIRU_AGENT_SOCK: socketPath } })
    expect(agent.stderr).toMatch(reason)
    expect(agent.code).toBe(1)
  })

  it("refuses a symbolic link that another user owns, even one leading to the user's own folder", async () => {
    const home = newHome()
    const sticky = path.join(home.root, "tmp")
    fs.mkdirSync(sticky)
    fs.chmodSync(sticky, 0o1777)
    const mine = path.join(home.root, "mine")
    fs.mkdirSync(mine, { mode: 0o700 })
    const link = path.join(sticky, "link")
    fs.symlinkSync(mine, link)
    fs.lchownSync(link, OTHER, OTHER)
    const result = await runMairu(home, ["list-sessions"], { env: { MAIRU_AGENT_SOCK: path.join(link, "agent.sock") } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`the symbolic link ${link} belongs to uid ${OTHER}`)
    expect(agentPids(home)).toHaveLength(0)
  })

  it("accepts the user's own folder through a link; a folder open to others is refused by clients and closed by the agent", async () => {
    const home = newHome()
    const real = path.join(home.root, "real")
    fs.mkdirSync(real, { mode: 0o755 })
    fs.chmodSync(real, 0o755)
    const socketPath = path.join(home.root, "alias", "agent.sock")
    fs.symlinkSync(real, path.join(home.root, "alias"))
    // Nothing there yet: the client starts the agent, which closes the folder first.
    const env = { MAIRU_AGENT_SOCK: socketPath }
    const first = await runMairu(home, ["list-sessions"], { env })
    expect(first.stderr).toContain("No sessions")
    expect(first.code).toBe(0)
    expect(fs.statSync(real).mode & 0o777).toBe(0o700)
    // Opened again later: clients refuse it and name the fix.
    fs.chmodSync(real, 0o755)
    const refused = await runMairu(home, ["list-sessions"], { env })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      `the agent socket's folder ${real} is open to other users (mode 0755); fix it with: chmod 700 ${real}`
    )
    fs.chmodSync(real, 0o700)
    const again = await runMairu(home, ["list-sessions"], { env })
    expect(again.code).toBe(0)
    await runMairu(home, ["kill-agent"], { env })
  })
  it("never takes a shared (sticky) folder for the socket's own, nor changes its mode", async () => {
    const home = newHome()
    const shared = path.join(home.root, "tmp")
    fs.mkdirSync(shared)
    fs.chmodSync(shared, 0o1777)
    const agent = await runMairu(home, ["agent", "--foreground"], {
      env: { MAIRU_AGENT_SOCK: path.join(shared, "agent.sock") }
    })
    expect(agent.code).toBe(1)
    expect(agent.stderr).toContain(`the agent socket's folder ${shared} is a shared folder (sticky bit set, mode 1777)`)
    expect(fs.statSync(shared).mode & 0o7777).toBe(0o1777)
  })
})
