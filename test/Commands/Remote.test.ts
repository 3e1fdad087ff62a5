import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DevServer, startDevServer } from "../support/devServer.js"
import {
  agentPids,
  agentRequests,
  cleanupHome,
  collect,
  type MairuHome,
  makeHome,
  runMairu,
  startMairu,
  untilAgentRequests,
  waitForStderr
} from "../support/mairu.js"
import { writeServerConfig, writeServerFile } from "../support/servers.js"

/**
 * Two isolated homes on one machine: home 1 runs the agent and has the servers.d;
 * home 2 has no mairu configuration at all and reaches the agent through a relay
 * socket in its own folder, standing in for `ssh -R` (or a container's `-v`).
 */

let server: DevServer
let home1: MairuHome
let home2: MairuHome
let relay: net.Server
const relayed = new Set<net.Socket>()

const ROLE = "123456789012/Developer"
const ECS_PROBE = [
  process.execPath,
  "-e",
  "fetch(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { authorization: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN } })" +
  ".then((r) => r.json()).then((c) => console.log(c.AccessKeyId))"
]

/** A unix socket at `socketPath` that pipes every connection to `target`, as `ssh -R` does. */
const startRelay = async (socketPath: string, target: string) => {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 })
  const relayServer = net.createServer((client) => {
    const upstream = net.createConnection(target)
    relayed.add(client)
    client.on("close", () => relayed.delete(client))
    client.pipe(upstream).pipe(client)
    client.on("error", () => upstream.destroy())
    upstream.on("error", () => client.destroy())
    client.on("close", () => upstream.destroy())
    upstream.on("close", () => client.destroy())
  })
  await new Promise<void>((resolve) => relayServer.listen(socketPath, resolve))
  return relayServer
}

/** Logs in to `id` from `home` by device grant; the dev server approves it by itself (--auto-approve). */
const loginByDevice = async (home: MairuHome, id: string) => {
  const result = await runMairu(home, ["login", "--oauth-grant-type", "device_code", id])
  expect(result.stderr).toContain(`Logged in to ${id}`)
  expect(result.code).toBe(0)
  return result
}

/** What a browser does with the login URL: follows redirects, keeping cookies, to mairu's callback page. */
const followAsBrowser = async (start: string) => {
  const cookies = new Map<string, string>()
  let url = start
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, {
      redirect: "manual",
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; ") }
    })
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";")
      const equals = pair!.indexOf("=")
      cookies.set(pair!.slice(0, equals).trim(), pair!.slice(equals + 1))
    }
    const location = response.headers.get("location")
    if (response.status >= 300 && response.status < 400 && location !== null) {
      url = new URL(location, url).toString()
      continue
    }
    return { url, status: response.status, body: await response.text() }
  }
  throw new Error(`too many redirects from ${start}`)
}

/** How many of the secrets the dev server issued work as bearer tokens at its roles endpoint right now. */
const workingAccessTokens = async () => {
  const { secrets } = await server.secrets()
  let working = 0
  for (const secret of secrets) {
    const response = await fetch(`${server.url}roles`, { headers: { authorization: `Bearer ${secret}` } })
    await response.arrayBuffer()
    if (response.status === 200) working++
  }
  return working
}

const credentialsOf = (stdout: string) => JSON.parse(stdout) as { AccessKeyId: string; Version: number }

beforeAll(async () => {
  server = await startDevServer({ autoApprove: true })
  // Debug logging: the agent's log shows each request, such as an exec's watch on its session.
  home1 = makeHome({ MAIRU_AGENT_LOG: "debug" })
  writeServerConfig(home1.configDir, server, { oauth: { revocation_endpoint: "oauth/revoke" } })
  writeServerConfig(home1.configDir, server, { id: "other" })
  home2 = makeHome()
  expect((await runMairu(home1, ["agent"])).code).toBe(0)
  relay = await startRelay(home2.socketPath, home1.socketPath)
})

afterAll(async () => {
  await new Promise<void>((resolve) => relay.close(() => resolve()))
  for (const socket of relayed) socket.destroy()
  fs.rmSync(home2.root, { recursive: true, force: true })
  await cleanupHome(home1)
  await server.stop()
})

describe("a host with no mairu configuration, through a forwarded socket", () => {
  it("logs in by device grant: the code shows on its terminal and the session lands in the agent", async () => {
    expect(fs.existsSync(path.join(home2.configDir, "mairu"))).toBe(false)
    const result = await loginByDevice(home2, "local")
    expect(result.stderr).toMatch(/confirm the code: \S+/)
    const sessions = await runMairu(home1, ["list-sessions", "--json"])
    expect(JSON.parse(sessions.stdout).sessions).toEqual([
      expect.objectContaining({ server_id: "local", server_url: server.url })
    ])
  })

  it("logs in by code grant: the URL shows on its terminal, the callback listens on the agent's machine", async () => {
    const child = startMairu(home2, ["login", "--oauth-grant-type", "code", "--no-browser", "other"])
    child.stdin.end()
    const done = collect(child)
    const [url] = await waitForStderr(child, /http:\/\/127\.0\.0\.1:\d+\/auth\/[A-Za-z0-9_-]+/)
    const page = await followAsBrowser(url)
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth2callback\?/)
    expect(page.body).toContain("mairu is logged in to other")
    const result = await done
    expect(result.stderr).toContain("Logged in to other")
    expect(result.code).toBe(0)
    await expect(server.stats()).resolves.toMatchObject({ token: { authorization_code: 1 } })
  })

  it("answers credential-process on the fast and the full path", async () => {
    for (const env of [{}, { MAIRU_NO_FAST_PATH: "1" }]) {
      const result = await runMairu(home2, ["credential-process", "local", ROLE], { env })
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(credentialsOf(result.stdout)).toMatchObject({ Version: 1, AccessKeyId: expect.stringMatching(/^ASIA/) })
    }
  })

  it("runs exec in static and ecs mode, the endpoint on this host, on the fast and the full path", async () => {
    for (const env of [{}, { MAIRU_NO_FAST_PATH: "1" }]) {
      const statik = await runMairu(
        home2,
        ["exec", "--server", "local", "--mode", "static", ROLE, "sh", "-c", "echo $AWS_ACCESS_KEY_ID"],
        { env }
      )
      expect(statik.stderr).toBe("")
      expect(statik.stdout).toMatch(/^ASIA\S+\n$/)
      const ecs = await runMairu(home2, ["exec", "--server", "local", ROLE, ...ECS_PROBE], { env })
      expect(ecs.stderr).toBe("")
      expect(ecs.stdout).toMatch(/^ASIA\S+\n$/)
    }
  })

  it("runs exec auto with the .mairu.json and its trust on this host", async () => {
    const project = path.join(home2.root, "project")
    fs.mkdirSync(project)
    fs.writeFileSync(path.join(project, ".mairu.json"), JSON.stringify({ server: "local", role: ROLE, mode: "static" }))
    const refused = await runMairu(home2, ["exec", "auto", "sh", "-c", "echo $AWS_ACCESS_KEY_ID"], { cwd: project })
    expect(refused.code).toBe(1)
    const [, digest] = refused.stderr.match(/--confirm-trust (\S+)/) ?? []
    const trusted = await runMairu(home2, [
      "exec",
      "--confirm-trust",
      digest!,
      "auto",
      "sh",
      "-c",
      "echo $AWS_ACCESS_KEY_ID"
    ], {
      cwd: project
    })
    expect(trusted.stdout).toMatch(/^ASIA\S+\n$/)
    const fast = await runMairu(home2, ["exec", "auto", "sh", "-c", "echo $AWS_ACCESS_KEY_ID"], { cwd: project })
    expect(fast.stdout).toMatch(/^ASIA\S+\n$/)
    expect(fs.readdirSync(path.join(home2.stateDir, "mairu", "trust"))).toHaveLength(1)
    expect(fs.existsSync(path.join(home1.stateDir, "mairu", "trust"))).toBe(false)
  })

  it("shows the agent's servers and sessions in status, list-roles and list-sessions", async () => {
    const status = await runMairu(home2, ["status", "--json"])
    const report = JSON.parse(status.stdout)
    expect(report.agent).toMatchObject({ running: true, socket: home2.socketPath })
    expect(report.agent.servers_dir).toBe(path.join(home1.configDir, "mairu", "servers.d"))
    expect(report.servers).toEqual([
      expect.objectContaining({ id: "local", url: server.url, source: "agent", logged_in: true }),
      expect.objectContaining({ id: "other", url: server.url, source: "agent", logged_in: true })
    ])
    const text = await runMairu(home2, ["status"])
    expect(text.stdout).toContain(`servers (the agent's, in ${path.join(home1.configDir, "mairu", "servers.d")}):`)
    const roles = JSON.parse((await runMairu(home2, ["list-roles", "--json"])).stdout)
    expect(roles.roles).toContainEqual({ server_id: "local", role: "demo", description: "The demo role" })
    expect(roles.roles).toContainEqual({ server_id: "other", role: "demo", description: "The demo role" })
    const sessions = await runMairu(home2, ["list-sessions"])
    expect(sessions.stdout).toMatch(/^0\. local: .*\n1\. other: /)
  })

  it("ignores its own servers.d: naming the same id with another URL changes nothing", async () => {
    const decoy = writeServerFile(home2.configDir, "local", {
      id: "local",
      url: "http://127.0.0.1:9/",
      oauth: { client_id: "x", device_grant: {} }
    })
    try {
      const before = (await server.stats()).assumeRole[ROLE] ?? 0
      const result = await runMairu(home2, ["credential-process", "--no-cache", "local", ROLE])
      expect(result.code).toBe(0)
      expect(credentialsOf(result.stdout).AccessKeyId).toMatch(/^ASIA/)
      expect((await server.stats()).assumeRole[ROLE]).toBe(before + 1)
      const resolved = JSON.parse((await runMairu(home2, ["status", "--json"])).stdout)
      expect(resolved.servers.map((s: { url: string }) => s.url)).toEqual([server.url, server.url])
    } finally {
      fs.rmSync(path.dirname(decoy), { recursive: true })
    }
  })

  it("names the agent's configuration folder for a server the agent does not know", async () => {
    for (const env of [{}, { MAIRU_NO_FAST_PATH: "1" }]) {
      const result = await runMairu(home2, ["credential-process", "nope", ROLE], { env })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        `no server "nope" is configured in the agent's configuration, ${
          path.join(home1.configDir, "mairu", "servers.d")
        }`
      )
    }
  })

  it("never starts an agent of its own while the socket answers", () => {
    expect(agentPids(home2)).toEqual([])
    expect(agentPids(home1)).toHaveLength(1)
  })
})

describe("a forwarded socket that goes away", () => {
  it("mid-request is a clear error", async () => {
    const dying = path.join(home2.root, "dying", "agent.sock")
    fs.mkdirSync(path.dirname(dying), { mode: 0o700 })
    // Accepts the connection, then drops it as soon as the request arrives.
    const cut = net.createServer((client) =>
      client.on("error", () => client.destroy()).once("data", () => client.destroy())
    )
    await new Promise<void>((resolve) => cut.listen(dying, resolve))
    try {
      for (const env of [{}, { MAIRU_NO_FAST_PATH: "1" }]) {
        const result = await runMairu(home2, ["credential-process", "local", ROLE], {
          env: { ...env, MAIRU_AGENT_SOCK: dying }
        })
        expect(result.code).toBe(1)
        expect(result.stdout).toBe("")
        expect(result.stderr).toContain("the agent's socket closed before it answered (if it is forwarded")
      }
    } finally {
      await new Promise<void>((resolve) => cut.close(() => resolve()))
    }
  })

  it("left dead is not taken over by an agent of this host", async () => {
    const dead = path.join(home2.root, "dead", "agent.sock")
    fs.mkdirSync(path.dirname(dead), { mode: 0o700 })
    // A socket file nobody listens on, as a forwarding that ended can leave.
    const gone = net.createServer()
    await new Promise<void>((resolve) => gone.listen(dead, resolve))
    fs.linkSync(dead, dead + ".keep")
    await new Promise<void>((resolve) => gone.close(() => resolve()))
    fs.renameSync(dead + ".keep", dead)
    const env = { MAIRU_AGENT_SOCK: dead, MAIRU_NO_FAST_PATH: "1" }
    const result = await runMairu(home2, ["list-sessions"], { env })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`nothing answers at ${dead}, and no mairu agent of this machine made it`)
    expect(result.stderr).toContain("mairu agent")
    const stillDead = await runMairu(home2, ["credential-process", "local", ROLE], { env: { MAIRU_AGENT_SOCK: dead } })
    expect(stillDead.code).toBe(1)
    expect(stillDead.stderr).toContain("no mairu agent of this machine made it")
    expect(fs.lstatSync(dead).isSocket()).toBe(true)
  })
})

describe("a restricted socket (mairu forward-socket)", () => {
  let forward: ReturnType<typeof startMairu>
  let forwardDone: ReturnType<typeof collect>
  let restricted: string
  let agentPid: number
  // MAIRU_NO_AUTO_AGENT: once the socket is closed, no agent may start at its path.
  const through = (args: Array<string>, env: Record<string, string> = {}) =>
    runMairu(home2, args, { env: { MAIRU_AGENT_SOCK: restricted, MAIRU_NO_AUTO_AGENT: "1", ...env } })
  const runningAgentPid = async () =>
    JSON.parse((await runMairu(home1, ["status", "--json"])).stdout).agent.pid as number

  beforeAll(async () => {
    const folder = path.join(home1.root, "forward")
    fs.mkdirSync(folder, { mode: 0o700 })
    restricted = path.join(folder, "agent.sock")
    forward = startMairu(home1, ["forward-socket", restricted, "--allow", "local/123456789012/Read*"])
    forward.stdin.end()
    forwardDone = collect(forward, 600_000)
    await waitForStderr(forward, /Serving local\/123456789012\/Read\* at/)
    agentPid = await runningAgentPid()
  })
  afterAll(() => {
    if (forward.exitCode === null) forward.kill("SIGKILL")
  })

  it("refuses a folder that other users can enter", async () => {
    const open = path.join(home1.root, "open")
    fs.mkdirSync(open, { mode: 0o755 })
    fs.chmodSync(open, 0o755)
    const result = await runMairu(home1, ["forward-socket", path.join(open, "agent.sock"), "--allow", "local/*"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `the folder ${open} is open to other users (mode 755); fix it with: chmod 700 ${open}`
    )
    expect(fs.existsSync(path.join(open, "agent.sock"))).toBe(false)
  })

  it("answers credentials for the roles it allows", async () => {
    for (const env of [{}, { MAIRU_NO_FAST_PATH: "1" }]) {
      const result = await through(["credential-process", "local", "123456789012/ReadOnly"], env)
      expect(result.stderr).toBe("")
      expect(credentialsOf(result.stdout).AccessKeyId).toMatch(/^ASIA/)
    }
    const exec = await through(["exec", "--server", "local", "123456789012/ReadOnly", ...ECS_PROBE])
    expect(exec.stdout).toMatch(/^ASIA\S+\n$/)
  })

  it("refuses other roles, and answers an unknown and a disallowed server alike", async () => {
    const role = await through(["credential-process", "local", ROLE])
    expect(role.code).toBe(1)
    expect(role.stderr).toContain(`role ${ROLE} of local is not allowed through this restricted socket`)
    for (const env of [{}, { MAIRU_NO_FAST_PATH: "1" }]) {
      const unknown = await through(["credential-process", "nope", "123456789012/ReadOnly"], env)
      const disallowed = await through(["credential-process", "other", "123456789012/ReadOnly"], env)
      expect(unknown.code).toBe(1)
      expect(disallowed.code).toBe(1)
      expect(unknown.stderr).toContain("no server \"nope\" is available through this restricted socket")
      expect(disallowed.stderr.replace("\"other\"", "\"nope\"")).toBe(unknown.stderr)
      expect(unknown.stderr).not.toContain("servers.d")
    }
  })

  it("shows only what it allows, and refuses kill-agent, logins and logouts", async () => {
    const sessions = await through(["list-sessions", "--json"])
    expect(JSON.parse(sessions.stdout).sessions.map((s: { server_id: string }) => s.server_id)).toEqual(["local"])
    const roles = JSON.parse((await through(["list-roles", "--json"])).stdout)
    expect(roles.roles.map((r: { role: string }) => r.role).sort()).toEqual(["123456789012/ReadOnly"])
    const status = JSON.parse((await through(["status", "--json"])).stdout)
    expect(status.servers.map((s: { id: string }) => s.id)).toEqual(["local"])

    const kill = await through(["kill-agent"])
    expect(kill.code).toBe(1)
    expect(kill.stderr).toContain("stopping the agent is not allowed through this restricted socket")
    const login = await through(["login", "--oauth-grant-type", "device_code", "local"])
    expect(login.code).toBe(1)
    expect(login.stderr).toContain("logging in is not allowed through this restricted socket")
    const logout = await through(["logout", "local"])
    expect(logout.code).toBe(1)
    expect(logout.stderr).toContain("logging out is not allowed through this restricted socket")
    expect(await runningAgentPid()).toBe(agentPid)
  })

  it("goes away when the command that opened it ends", async () => {
    expect(fs.lstatSync(restricted).isSocket()).toBe(true)
    forward.kill("SIGINT")
    await forwardDone
    expect(fs.existsSync(restricted)).toBe(false)
    const after = await through(["credential-process", "local", "123456789012/ReadOnly"])
    expect(after.code).toBe(1)
    expect(after.stderr).toContain(`no agent is running at ${restricted}`)
    expect(await runningAgentPid()).toBe(agentPid)
  })
})

describe("logout", () => {
  it("revokes the refresh token where the server supports it, tells a running exec once, and leaves other servers alone", async () => {
    const flag = path.join(home2.root, "logged-out")
    const watchesBefore = agentRequests(home1, "WatchSession")
    const exec = startMairu(home2, [
      "exec",
      "--server",
      "local",
      ROLE,
      "sh",
      "-c",
      `while [ ! -e ${flag} ]; do sleep 0.1; done; echo done`
    ])
    exec.stdin.end()
    const execDone = collect(exec)
    // Waits for the state: the exec watches the session.
    await untilAgentRequests(home1, "WatchSession", watchesBefore)
    const revocationsBefore = (await server.stats()).revocations
    expect(await workingAccessTokens()).toBe(2)

    const told = waitForStderr(exec, /the session with local was ended by mairu logout/)
    const result = await runMairu(home2, ["logout", "local"])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(
      "Logged out of local: the agent forgot its session and cached credentials; the server revoked its refresh token."
    )
    expect((await server.stats()).revocations).toBe(revocationsBefore + 1)
    // The grant behind local's tokens is gone; other's still works.
    expect(await workingAccessTokens()).toBe(1)

    await told
    fs.writeFileSync(flag, "")
    const ran = await execDone
    expect(ran.stdout).toBe("done\n")
    expect(ran.stderr.split("was ended by mairu logout").length - 1).toBe(1)
    expect(ran.stderr).toContain(
      `cannot renew credentials for ${ROLE} from local: the session with local was ended by mairu logout. Log in with: mairu login local`
    )

    const sessions = JSON.parse((await runMairu(home2, ["list-sessions", "--json"])).stdout).sessions
    expect(sessions.map((s: { server_id: string }) => s.server_id)).toEqual(["other"])
    const denied = await runMairu(home2, ["credential-process", "local", ROLE])
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain("not logged in to local")
    expect((await runMairu(home2, ["credential-process", "other", ROLE])).code).toBe(0)
  })

  it("forgets a session whose server offers no revocation, and says its tokens stay valid there", async () => {
    const revocationsBefore = (await server.stats()).revocations
    const flag = path.join(home2.root, "logged-out-full")
    const watchesBefore = agentRequests(home1, "WatchSession")
    const exec = startMairu(
      home2,
      ["exec", "--server", "other", ROLE, "sh", "-c", `while [ ! -e ${flag} ]; do sleep 0.1; done; echo done`],
      { MAIRU_NO_FAST_PATH: "1" }
    )
    exec.stdin.end()
    const execDone = collect(exec)
    await untilAgentRequests(home1, "WatchSession", watchesBefore)
    const told = waitForStderr(exec, /the session with other was ended by mairu logout/)
    const result = await runMairu(home2, ["logout", "other"])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("Logged out of other")
    expect(result.stderr).toContain("its server offers no token revocation (no revocation_endpoint)")
    expect((await server.stats()).revocations).toBe(revocationsBefore)
    expect(await workingAccessTokens()).toBe(1)
    await told
    fs.writeFileSync(flag, "")
    const ran = await execDone
    expect(ran.stdout).toBe("done\n")
    expect(ran.stderr.split("was ended by mairu logout").length - 1).toBe(1)

    expect(JSON.parse((await runMairu(home2, ["list-sessions", "--json"])).stdout).sessions).toEqual([])
    const again = await runMairu(home2, ["logout", "other"])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain("Not logged in to other; nothing to forget.")
  })
})
