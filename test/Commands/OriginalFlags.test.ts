import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { autoDigest } from "../../src/AutoConfig/AutoFile.js"
import { type DevServer, startDevServer } from "../support/devServer.js"
import {
  agentPids,
  cleanupHome,
  collect,
  fastExecRuns,
  type MairuHome,
  makeHome,
  repoRoot,
  runMairu,
  startMairu,
  waitForStderr
} from "../support/mairu.js"
import { writeServerConfig } from "../support/servers.js"
import { makeSsoHome, setUpLocal, tearDownLocal } from "../support/session.js"

/**
 * The flags and outputs of the original (Rust) Mairu that need real processes: the fast
 * paths against the full CLI, the agent's start, setup-sso against the AWS SSO emulator.
 * The commands' own formats and spellings are checked in process (ListRoles, ListSessions,
 * Show, Login and Cli/InProcess tests).
 */

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  // Debug logging: the agent's log shows which exec runs took the fast path.
  ;({ server, home } = await setUpLocal({ env: { MAIRU_AGENT_LOG: "debug" } }))
})
afterAll(() => tearDownLocal({ server, home }))

const VERSION =
  (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version
const FULL = { MAIRU_NO_FAST_PATH: "1" }
const ROLE = "123456789012/Developer"
const STATIC_PROBE = ["sh", "-c", "echo \"${AWS_ACCESS_KEY_ID:+static} ${AWS_CONTAINER_CREDENTIALS_FULL_URI:+ecs}\""]

/** How many ResolveServer requests (sent by the fast exec path only) the agent has logged. */
const resolveRequests = () => fastExecRuns(home)

/** Runs exec on the fast path and on the full one; both must give the very same result. */
const same = async (
  args: Array<string>,
  options: { readonly env?: Record<string, string>; readonly cwd?: string } = {}
) => {
  const fast = await runMairu(home, ["exec", ...args], options)
  const full = await runMairu(home, ["exec", ...args], { ...options, env: { ...options.env, ...FULL } })
  expect({ code: fast.code, stdout: fast.stdout, stderr: fast.stderr }).toEqual({
    code: full.code,
    stdout: full.stdout,
    stderr: full.stderr
  })
  return fast
}

describe("-V and -h", () => {
  const commands = [
    "exec",
    "credential-process",
    "login",
    "list-sessions",
    "list-roles",
    "refresh",
    "agent",
    "kill-agent",
    "show",
    "setup-sso",
    "status",
    "console"
  ]

  it("print the version and the help at the top level, on the fast and on the full path", async () => {
    const bare = makeHome({ MAIRU_NO_AUTO_AGENT: "1" })
    try {
      for (const env of [{}, FULL]) {
        const version = await runMairu(bare, ["-V"], { env })
        expect(version.code).toBe(0)
        expect(version.stdout.trim()).toBe(VERSION)
        const help = await runMairu(bare, ["-h"], { env })
        expect(help.code).toBe(0)
        for (const command of commands) expect(help.stdout).toContain(command)
      }
    } finally {
      fs.rmSync(bare.root, { recursive: true, force: true })
    }
  })

  it("after exec's ROLE belong to the command, untouched", async () => {
    const echoed = await same(["--server", "local", ROLE, "sh", "-c", "echo \"$@\"", "sh", "-h", "-V", "--version"])
    expect(echoed.code).toBe(0)
    expect(echoed.stdout).toBe("-h -V --version\n")
  })
})

describe("exec -m", () => {
  it("chooses static or ecs mode, with the same result on the fast and the full path", async () => {
    const before = resolveRequests()
    const statik = await same(["-m", "static", "--server", "local", ROLE, ...STATIC_PROBE])
    expect(statik).toMatchObject({ code: 0, stdout: "static \n" })
    const ecs = await same(["--server", "local", "-m", "ecs", ROLE, ...STATIC_PROBE])
    expect(ecs).toMatchObject({ code: 0, stdout: " ecs\n" })
    // Each pair ran once on the fast path.
    expect(resolveRequests() - before).toBe(2)
  })

  it("rejects another mode on both paths", async () => {
    const wrong = await same(["-m", "docker", "--server", "local", ROLE, "true"])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain("ecs, static")
  })
})

describe("MAIRU_SHOW_AUTO_ROLE", () => {
  it("is off when false or 0 and on when true or 1, the same on the fast and the full path", async () => {
    const project = path.join(home.root, "show-auto")
    fs.mkdirSync(project, { recursive: true })
    const file = path.join(project, ".mairu.json")
    fs.writeFileSync(file, JSON.stringify({ server: "local", role: ROLE }))
    const digest = autoDigest(file, fs.readFileSync(file))
    expect((await runMairu(home, ["exec", "--confirm-trust", digest, "auto", "true"], { cwd: project })).code).toBe(0)
    const line = `:: mairu :: auto: server local, role ${ROLE} (from ${file})\n`
    for (const [value, stderr] of [["false", ""], ["0", ""], ["true", line], ["1", line]] as const) {
      const result = await same(["auto", "true"], { cwd: project, env: { MAIRU_SHOW_AUTO_ROLE: value } })
      expect({ value, code: result.code, stderr: result.stderr }).toEqual({ value, code: 0, stderr })
    }
  })
})

describe("agent --daemonize", () => {
  it("starts the agent in the background and returns; a second call finds it running", async () => {
    const h = makeHome()
    try {
      const started = await runMairu(h, ["agent", "--daemonize"])
      expect(started.code).toBe(0)
      expect(started.stderr).toContain(`Started the agent at ${h.socketPath}`)
      expect(agentPids(h)).toHaveLength(1)
      const again = await runMairu(h, ["agent", "--daemonize", "--log-to-file"])
      expect(again.code).toBe(0)
      expect(again.stderr).toContain("already running")
      expect(agentPids(h)).toHaveLength(1)
    } finally {
      await cleanupHome(h)
    }
  })
})

describe("commands that only look", () => {
  it("status and show start no agent, and say none runs", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      fs.writeFileSync(path.join(h.root, ".mairu.json"), JSON.stringify({ server: "local", role: "demo" }))
      const status = await runMairu(h, ["status", "--json"], { cwd: h.root })
      expect(JSON.parse(status.stdout).agent).toMatchObject({ running: false, version: null })
      const show = await runMairu(h, ["show"], { cwd: h.root })
      expect(JSON.parse(show.stdout)).toMatchObject({ auto_logged_in: false, server: { id: "local" } })
      expect(agentPids(h)).toHaveLength(0)
      expect(fs.existsSync(h.socketPath)).toBe(false)
    } finally {
      fs.rmSync(h.root, { recursive: true, force: true })
    }
  })
})

describe("setup-sso short flags", () => {
  let sso: DevServer
  let h: MairuHome
  beforeAll(async () => {
    sso = await startDevServer()
    h = makeSsoHome(sso)
  })
  afterAll(async () => {
    await cleanupHome(h)
    await sso.stop()
  })

  it("take -r, -u, -s and -y (--overwrite); AWS SSO roles list sorted, described as the original does", async () => {
    const args = ["setup-sso", "contoso", "-r", "us-east-1", "-u", `${sso.url}start`, "-s", "sso:account:access"]
    expect((await runMairu(h, args)).code).toBe(0)
    const file = path.join(h.configDir, "mairu", "servers.d", "contoso.json")
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toMatchObject({
      url: `${sso.url}start`,
      id: "contoso",
      aws_sso: { region: "us-east-1", scope: ["sso:account:access"] }
    })
    const refused = await runMairu(h, args)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("--overwrite (-y)")
    expect((await runMairu(h, [...args, "-y"])).code).toBe(0)
    expect((await runMairu(h, [...args, "--overwrite"])).code).toBe(0)

    const login = startMairu(h, ["login", "--oauth-grant-type", "aws_sso", "contoso"])
    login.stdin.end()
    const done = collect(login)
    const [, code] = await waitForStderr(login, /confirm the code: (\S+)/)
    await sso.approveDevice(code!)
    expect((await done).code).toBe(0)
    const roles = await runMairu(h, ["list-roles", "-o", "oneline"])
    expect(roles.code).toBe(0)
    const lines = roles.stdout.trimEnd().split("\n")
    const names = lines.map((l) => l.split(/ +/)[1]!)
    expect(names).toEqual([...names].sort())
    expect(lines).toContain(
      `contoso  ${"111111111111/AdministratorAccess".padEnd(32)}  Production (aws+111111111111@example.com)`
    )
  })
})
