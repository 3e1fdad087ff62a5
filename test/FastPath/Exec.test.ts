import * as fs from "node:fs"
import type * as net from "node:net"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { autoDigest, trustRecordPath, trustRecordText } from "../../src/AutoConfig/AutoFile.js"
import { BAD_AUTO_CONFIGS } from "../support/autoConfigs.js"
import type { DevServer } from "../support/devServer.js"
import { startFakeAgent, stopFakeAgent } from "../support/fakeAgent.js"
import {
  agentPids,
  cleanupHome,
  collect,
  fastExecRuns,
  type MairuHome,
  makeHome,
  runMairu,
  startMairu,
  waitForStderr
} from "../support/mairu.js"
import { writeServerConfig, writeServerFile } from "../support/servers.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  // Debug logging: the agent's log shows which requests each path sends.
  ;({ server, home } = await setUpLocal({ env: { MAIRU_AGENT_LOG: "debug" } }))
})
afterAll(() => tearDownLocal({ server, home }))

const FULL = { MAIRU_NO_FAST_PATH: "1" }

const resolveRequests = () => fastExecRuns(home)
const ROLE = "123456789012/Developer"

/** Runs exec both ways and expects the very same stdout, stderr, exit code and signal. */
const same = async (
  h: MairuHome,
  args: Array<string>,
  options: { readonly env?: Record<string, string>; readonly cwd?: string } = {}
) => {
  const fast = await runMairu(h, ["exec", ...args], options)
  const full = await runMairu(h, ["exec", ...args], { ...options, env: { ...options.env, ...FULL } })
  expect({ code: fast.code, signal: fast.signal, stdout: fast.stdout, stderr: fast.stderr }).toEqual({
    code: full.code,
    signal: full.signal,
    stdout: full.stdout,
    stderr: full.stderr
  })
  return fast
}

/** Prints what a program sees through the ecs endpoint: the key id, and whether a token came with it. */
const ECS_PROBE = [
  process.execPath,
  "-e",
  "fetch(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { authorization: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN } })" +
  ".then((r) => r.json()).then((c) => console.log(c.AccessKeyId, c.Token.length > 0, process.env.AWS_ACCESS_KEY_ID ?? 'no-static-key'))"
]
const STATIC_PROBE = [
  "sh",
  "-c",
  "echo \"$AWS_ACCESS_KEY_ID $AWS_SECRET_ACCESS_KEY $AWS_SESSION_TOKEN ${AWS_CONTAINER_CREDENTIALS_FULL_URI:-no-endpoint}\""
]

/** `mairu exec` in static mode, for role demo of server local, running `script` in sh. */
const staticExec = (script: string) => ["exec", "--server", "local", "--mode", "static", "demo", "sh", "-c", script]

/** A fake agent's answers: what it resolves local to, credentials for it, and a request's success. */
const localSummary = () => ({ id: "local", url: server.url, kind: "mairu_api", file: "/x/local.json" })
const credentialsOf = (accessKeyId: string) => ({
  accessKeyId,
  secretAccessKey: "s",
  sessionToken: "t",
  noCache: false
})
const succeed = (socket: net.Socket, id: number, value: unknown) =>
  socket.write(JSON.stringify({ id, exit: { _tag: "Success", value } }) + "\n")

describe("the fast exec path", () => {
  it("is the path taken: it asks the agent to resolve the server and for credentials at once, then keeps using the resolved server", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      const seen: Array<{ readonly _tag: string; readonly server?: unknown }> = []
      const resolved = { id: "resolved-by-fake", url: "https://fake.invalid/", kind: "mairu_api", file: "/fake.json" }
      const credentials = {
        accessKeyId: "AKIDFAKEAGENT",
        secretAccessKey: "fake-secret",
        sessionToken: "fake-token",
        expiration: new Date(Date.now() + 3_600_000).toISOString(),
        noCache: false
      }
      // mairu may close its session watch abruptly when the command ends.
      const fake = await startFakeAgent(h.socketPath, ({ id, request }, socket) => {
        seen.push(request)
        succeed(socket, id, request._tag === "ResolveServer" ? resolved : credentials)
      })
      const statik = await runMairu(h, ["exec", "--server", "local", "--mode", "static", "demo", ...STATIC_PROBE])
      const ecs = await runMairu(h, ["exec", "--server", "local", "demo", ...ECS_PROBE])
      await stopFakeAgent(fake)

      expect(statik.stdout).toBe("AKIDFAKEAGENT fake-secret fake-token no-endpoint\n")
      expect(ecs.stdout).toBe("AKIDFAKEAGENT true no-static-key\n")
      expect([statik.code, ecs.code]).toEqual([0, 0])
      // Only the name crosses the socket: the agent resolves it in its own configuration.
      expect(seen.slice(0, 2)).toEqual([
        { _tag: "ResolveServer", server: "local" },
        { _tag: "GetCredentials", server: "local", role: "demo", noCache: false, via: "exec-static" }
      ])
      // The endpoint's request, and the watch on the session, name the server the agent resolved; the
      // endpoint's names the process that asked it.
      expect(seen).toContainEqual({
        _tag: "GetCredentials",
        server: "resolved-by-fake",
        role: "demo",
        noCache: false,
        via: "exec-ecs",
        requester: {
          _tag: "Process",
          process: expect.objectContaining({ executable: fs.realpathSync(process.execPath) })
        }
      })
      expect(seen).toContainEqual({ _tag: "WatchSession", server: "resolved-by-fake" })
    } finally {
      fs.rmSync(h.root, { recursive: true, force: true })
    }
  })

  it("leaves the work to the full path when the agent does not answer within a second", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      const seen: Array<string> = []
      // Never answers the first connection (the fast path's), and the full path's at once (but never its watch).
      const fake = await startFakeAgent(h.socketPath, ({ id, request }, socket, connection) => {
        seen.push(`${connection}:${request._tag}:${String(request.server)}`)
        if (connection === 1 || request._tag === "WatchSession") return
        succeed(socket, id, request._tag === "ResolveServer" ? localSummary() : credentialsOf("AKIDFULLPATH"))
      })
      const result = await runMairu(h, staticExec("echo $AWS_ACCESS_KEY_ID"))
      await stopFakeAgent(fake)
      expect(result).toMatchObject({ code: 0, stdout: "AKIDFULLPATH\n", stderr: "" })
      // In static mode, whether the session is watched depends on how long the command runs: it is
      // watched only after a second (tested on its own below).
      expect(seen.filter((request) => !request.endsWith(":WatchSession:local"))).toEqual([
        "1:ResolveServer:local",
        "1:GetCredentials:local",
        "2:ResolveServer:local",
        "3:GetCredentials:local"
      ])
    } finally {
      fs.rmSync(h.root, { recursive: true, force: true })
    }
  })

  it("in static mode, watches the session once the command has run for a second, and tells the user it ended", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      const told = path.join(h.root, "told")
      const ended = { _tag: "Unauthenticated", serverId: "local", message: "the session with local was ended" }
      const seen: Array<string> = []
      const askedAt = new Map<string, number>()
      const fake = await startFakeAgent(h.socketPath, ({ id, request }, socket, connection) => {
        seen.push(`${connection}:${request._tag}`)
        askedAt.set(request._tag, Date.now())
        if (request._tag === "WatchSession") {
          socket.write(JSON.stringify({ id, exit: { _tag: "Failure", cause: { _tag: "Fail", error: ended } } }) + "\n")
          return
        }
        succeed(socket, id, request._tag === "ResolveServer" ? localSummary() : credentialsOf("AKIDSTATIC"))
      })
      // The command runs until mairu has told the user.
      const exec = startMairu(h, staticExec(`while [ ! -e ${told} ]; do sleep 0.05; done; echo $AWS_ACCESS_KEY_ID`))
      exec.stdin.end()
      const done = collect(exec)
      await waitForStderr(
        exec,
        /cannot renew credentials for demo from local: the session with local was ended\. Log in with: mairu login local/
      )
      fs.writeFileSync(told, "")
      const result = await done
      await stopFakeAgent(fake)
      expect(result).toMatchObject({ code: 0, stdout: "AKIDSTATIC\n" })
      // The fast path's one connection for the credentials, then one for the watch, a second later.
      expect(seen).toEqual(["1:ResolveServer", "1:GetCredentials", "2:WatchSession"])
      expect(askedAt.get("WatchSession")! - askedAt.get("GetCredentials")!).toBeGreaterThanOrEqual(990)
    } finally {
      fs.rmSync(h.root, { recursive: true, force: true })
    }
  })

  it("in static mode, starts no agent for the watch when the agent went away in the command's first second, on both paths", async () => {
    for (const env of [{}, FULL]) {
      const h = makeHome()
      try {
        writeServerConfig(h.configDir, server)
        // The agent goes away once it has handed out the credentials (closing removes its socket).
        const fake: net.Server = await startFakeAgent(h.socketPath, ({ id, request }, socket) => {
          succeed(socket, id, request._tag === "ResolveServer" ? localSummary() : credentialsOf("AKIDSTATIC"))
          if (request._tag === "GetCredentials") void stopFakeAgent(fake)
        })
        // The command outlives the second after which the watch is due.
        const script = `while [ -e ${h.socketPath} ]; do sleep 0.05; done; sleep 2; echo $AWS_ACCESS_KEY_ID`
        const result = await runMairu(h, staticExec(script), { env })
        expect(result).toMatchObject({ code: 0, stdout: "AKIDSTATIC\n", stderr: "" })
        expect(fs.existsSync(h.socketPath)).toBe(false)
        expect(agentPids(h)).toEqual([])
      } finally {
        await cleanupHome(h)
      }
    }
  })

  it("gives the same result as the full path in static and ecs mode", async () => {
    const before = resolveRequests()
    const statik = await same(home, ["--server", "local", "--mode", "static", ROLE, ...STATIC_PROBE])
    expect(statik.code).toBe(0)
    expect(statik.stdout).toMatch(/^ASIA\S+ \S+ \S+ no-endpoint\n$/)
    const ecs = await same(home, ["--server", "local", ROLE, ...ECS_PROBE], { env: { AWS_ACCESS_KEY_ID: "inherited" } })
    expect(ecs.code).toBe(0)
    expect(ecs.stdout).toMatch(/^ASIA\S+ true no-static-key\n$/)
    // Each pair ran once on the fast path: one ResolveServer each.
    expect(resolveRequests() - before).toBe(2)
  })

  it("takes the server from MAIRU_SERVER, and --server over it, as the full path does", async () => {
    const before = resolveRequests()
    const fromEnv = await same(home, [ROLE, "sh", "-c", "echo ran"], { env: { MAIRU_SERVER: "local" } })
    expect(fromEnv).toMatchObject({ code: 0, stdout: "ran\n" })
    const flagWins = await same(home, ["--server", "local", ROLE, "true"], { env: { MAIRU_SERVER: "nope" } })
    expect(flagWins.code).toBe(0)
    const none = await same(home, [ROLE, "true"], { env: { MAIRU_SERVER: "" } })
    expect(none.code).toBe(1)
    expect(none.stderr).toContain("Pass --server SERVER (or set MAIRU_SERVER)")
    // The first two ran on the fast path.
    expect(resolveRequests() - before).toBe(2)
  })

  it("gives the same exit status, death by signal and missing-command error as the full path", async () => {
    expect((await same(home, ["--server", "local", ROLE, "sh", "-c", "exit 7"])).code).toBe(7)
    expect((await same(home, ["--server", "local", ROLE, "sh", "-c", "kill -TERM $$"])).signal).toBe("SIGTERM")
    const missing = await same(home, ["--server", "local", ROLE, "no-such-command-anywhere"])
    expect(missing.code).toBe(127)
    expect(missing.stderr).toBe(":: mairu :: command not found: no-such-command-anywhere\n")
  })

  it("passes on a SIGTERM sent the moment the command starts, on both paths", async () => {
    // The command's first act signals mairu (its parent): mairu must already be passing signals on.
    const result = await same(home, [
      "--server",
      "local",
      ROLE,
      "sh",
      "-c",
      "trap 'echo got-term; exit 9' TERM; kill -TERM $PPID; while :; do sleep 0.1; done"
    ])
    expect(result).toMatchObject({ code: 9, stdout: "got-term\n" })
  })

  it("gives the same result as the full path for a trusted .mairu.json, with --show-auto and the file's region", async () => {
    const project = path.join(home.root, "fast-auto")
    fs.mkdirSync(path.join(project, "sub"), { recursive: true })
    const file = path.join(project, ".mairu.json")
    fs.writeFileSync(file, JSON.stringify({ server: "local", role: ROLE, mode: "static", region: "eu-west-1" }))
    const untrusted = await same(home, ["auto", "true"], { cwd: path.join(project, "sub") })
    expect(untrusted.code).toBe(1)
    expect(untrusted.stderr).toContain(`--confirm-trust ${autoDigest(file, fs.readFileSync(file))} auto true`)

    const approve = await runMairu(home, [
      "exec",
      "--confirm-trust",
      autoDigest(file, fs.readFileSync(file)),
      "auto",
      "true"
    ], {
      cwd: project
    })
    expect(approve.code).toBe(0)
    const show = ["sh", "-c", "echo \"${AWS_ACCESS_KEY_ID:+static} $AWS_REGION\""]
    const trusted = await same(home, ["--show-auto", "auto", ...show], { cwd: path.join(project, "sub") })
    expect(trusted.code).toBe(0)
    expect(trusted.stdout).toBe("static eu-west-1\n")
    expect(trusted.stderr).toBe(`:: mairu :: auto: server local, role ${ROLE} (from ${file})\n`)
  })

  it("refuses a trusted .mairu.json with a bad field as the full path does, in the same words", async () => {
    const trustDir = path.join(home.stateDir, "mairu", "trust")
    fs.mkdirSync(trustDir, { recursive: true, mode: 0o700 })
    const results = await Promise.all(BAD_AUTO_CONFIGS.map(async ([content, said], index) => {
      const project = path.join(home.root, `bad-auto-${index}`)
      fs.mkdirSync(project, { recursive: true })
      const file = path.join(project, ".mairu.json")
      fs.writeFileSync(file, content)
      // Trusted as it is: only the reading of its fields stands between it and a command.
      const record = trustRecordText(file, Buffer.from(content), { server: "local", role: ROLE }, new Date())
      fs.writeFileSync(trustRecordPath(trustDir, file), record, { mode: 0o600 })
      const result = await same(home, ["auto", "echo", "ran"], { cwd: project })
      return {
        code: result.code,
        stdout: result.stdout,
        stderr: result.stderr,
        said: `${file} is not a valid .mairu.json: ${said}`
      }
    }))
    for (const result of results) {
      expect(result).toMatchObject({ code: 1, stdout: "", stderr: `:: mairu :: ${result.said}\n` })
    }
  })

  it("gives the same warnings as the full path for skipped server files, on success and for an unknown server", async () => {
    const broken = writeServerFile(home.configDir, "broken", "{")
    try {
      const ok = await same(home, ["--server", "local", ROLE, "true"])
      expect(ok.code).toBe(0)
      expect(ok.stderr).toContain("skipped server file")
      const unknown = await same(home, ["--server", "nope", ROLE, "true"])
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain("no server \"nope\" is configured")
    } finally {
      fs.rmSync(broken)
    }
  })

  it("gives the same result as the full path when not logged in, and when no agent runs", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      const refused = await same(h, ["--server", "local", "--no-login", ROLE, "true"], {
        env: { MAIRU_NO_AUTO_AGENT: "1" }
      })
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain("MAIRU_NO_AUTO_AGENT is set")
      // Without it, the first call starts the agent (through the full path); then the session is missing.
      const notLoggedIn = await same(h, ["--server", "local", "--no-login", ROLE, "echo", "ran"])
      expect(notLoggedIn.code).toBe(1)
      expect(notLoggedIn.stdout).toBe("")
      expect(notLoggedIn.stderr).toContain("mairu login local")
    } finally {
      await cleanupHome(h)
    }
  })
})
