import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { autoDigest } from "../../src/AutoConfig/AutoFile.js"
import { type DevServer, startDevServer, writeServerConfig } from "../support/devServer.js"
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
import { loginByDevice, setUpLocal, tearDownLocal } from "../support/session.js"

/**
 * The flags and outputs of the original (Rust) Mairu, as its users' scripts and
 * habits use them: each through a real process against the dev server.
 */

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  // Debug logging: the agent's log shows which exec runs took the fast path.
  ;({ server, home } = await setUpLocal({ env: { MAIRU_AGENT_LOG: "debug" } }))
  // A second session, logged in after `local` though its id sorts first, and a server without one.
  writeServerConfig(home.configDir, server, { id: "beta" })
  writeServerConfig(home.configDir, server, { id: "aaa-other" })
  await loginByDevice(home, server, "beta")
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

  it("print the version and the command's help on every command, without doing anything else", async () => {
    const bare = makeHome({ MAIRU_NO_AUTO_AGENT: "1" })
    try {
      for (const command of commands) {
        const version = await runMairu(bare, [command, "-V"])
        expect({ command, code: version.code, stdout: version.stdout.trim() }).toEqual({
          command,
          code: 0,
          stdout: VERSION
        })
        const help = await runMairu(bare, [command, "-h"])
        expect({ command, code: help.code }).toEqual({ command, code: 0 })
        expect(help.stdout).toContain(`$ ${command}`)
      }
      expect(agentPids(bare)).toHaveLength(0)
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

describe("--oauth-grant-type", () => {
  it("takes device-code and aws_sso for the device grant, on login and on exec", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      // The server's default would be the code grant: the flag decides.
      const login = startMairu(h, ["login", "--oauth-grant-type", "aws_sso", "local"])
      login.stdin.end()
      const loggedIn = collect(login)
      const [, code] = await waitForStderr(login, /confirm the code: (\S+)/)
      await server.approveDevice(code!)
      expect((await loggedIn).code).toBe(0)
      await runMairu(h, ["kill-agent"])

      const exec = startMairu(h, [
        "exec",
        "--oauth-grant-type",
        "device-code",
        "--server",
        "local",
        ROLE,
        "echo",
        "ran"
      ])
      exec.stdin.end()
      const ran = collect(exec)
      const [, again] = await waitForStderr(exec, /confirm the code: (\S+)/)
      await server.approveDevice(again!)
      expect(await ran).toMatchObject({ code: 0, stdout: "ran\n" })
    } finally {
      await cleanupHome(h)
    }
  })
})

describe("list-roles", () => {
  const demoRoles = [
    ["123456789012/Developer", "Develop the demo application"],
    ["123456789012/ReadOnly", "Look, do not touch"],
    ["demo", "The demo role"]
  ] as const

  it("prints text by default: logged-in servers in login order, then the others by id, roles padded", async () => {
    const result = await runMairu(home, ["list-roles"])
    expect(result.code).toBe(0)
    const roles = demoRoles.map(([name, description]) => `    ${name.padEnd(22)}  ${description}\n`).join("")
    expect(result.stdout).toBe(`local\n${roles}\nbeta\n${roles}\naaa-other\n    not logged in\n\n`)
    expect(result.stderr).toBe(":: mairu :: aaa-other: not logged in (mairu login aaa-other)\n")
    expect((await runMairu(home, ["list-roles", "-o", "text"])).stdout).toBe(result.stdout)
  })

  it("prints one padded line per role with -o oneline, leaving out servers without a session", async () => {
    const result = await runMairu(home, ["list-roles", "-o", "oneline"])
    expect(result.code).toBe(0)
    const lines = (id: string) =>
      demoRoles.map(([name, description]) => `${id.padEnd(9)}  ${name.padEnd(22)}  ${description}\n`)
    expect(result.stdout).toBe([...lines("local"), ...lines("beta")].join(""))
  })

  it("prints the original's JSON with -o json and --json, its keys first", async () => {
    const result = await runMairu(home, ["list-roles", "--output", "json"])
    expect(result.code).toBe(0)
    const roles = demoRoles.map(([name, description]) => ({ name, description }))
    const parsed = JSON.parse(result.stdout)
    expect(Object.keys(parsed)).toEqual(["servers", "roles", "problems"])
    expect(parsed.servers).toEqual([
      { server_id: "local", server_url: server.url, logged_in: true, roles },
      { server_id: "beta", server_url: server.url, logged_in: true, roles },
      { server_id: "aaa-other", server_url: server.url, logged_in: false, roles: [] }
    ])
    expect(Object.keys(parsed.servers[0])).toEqual(["server_id", "server_url", "logged_in", "roles"])
    expect(result.stdout).toBe(JSON.stringify(parsed, null, 2) + "\n")
    expect((await runMairu(home, ["list-roles", "--json"])).stdout).toBe(result.stdout)
  })

  it("lists one server with --server S or SERVER", async () => {
    const byOption = await runMairu(home, ["list-roles", "--server", "beta", "-o", "json"])
    expect(byOption.code).toBe(0)
    expect(JSON.parse(byOption.stdout).servers.map((s: { server_id: string }) => s.server_id)).toEqual(["beta"])
    const byArg = await runMairu(home, ["list-roles", "-o", "oneline", "beta"])
    expect(byArg.stdout).toBe(
      demoRoles.map(([name, description]) => `beta  ${name.padEnd(22)}  ${description}\n`).join("")
    )
    const both = await runMairu(home, ["list-roles", "--server", "beta", "local"])
    expect(both.code).toBe(1)
    expect(both.stderr).toContain("two servers given")
  })

  it("exits 1 when a server cannot list its roles, naming it, and still lists the others", async () => {
    await server.faults({ roles: "500" })
    try {
      const result = await runMairu(home, ["list-roles", "-o", "json"])
      expect(result.code).toBe(1)
      const parsed = JSON.parse(result.stdout)
      expect(parsed.servers).toEqual([{ server_id: "aaa-other", server_url: server.url, logged_in: false, roles: [] }])
      expect(parsed.problems.map((p: { server_id: string }) => p.server_id)).toEqual(["local", "beta", "aaa-other"])
      expect(result.stderr).toMatch(/^:: mairu :: local: /m)
      expect(result.stderr).toMatch(/^:: mairu :: beta: /m)
    } finally {
      await server.faults({ roles: "none" })
    }
  })

  it("fails for a named server without a session, and says how to log in", async () => {
    const result = await runMairu(home, ["list-roles", "--server", "aaa-other"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("aaa-other\n    not logged in\n\n")
    expect(result.stderr).toContain("mairu login aaa-other")
  })
})

describe("list-sessions and refresh", () => {
  const url = () => server.url.replace(/[.]/g, "\\.")
  const T = (offset: string) => `\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\${offset}`

  it("number sessions from 0 in login order, with RFC 3339 times in UTC or local time", async () => {
    const utc = await runMairu(home, ["list-sessions", "--utc"])
    expect(utc.code).toBe(0)
    expect(utc.stdout).toMatch(
      new RegExp(
        `^0\\. local: ${url()} \\[renews after ${T("+00:00")}\\]\\n1\\. beta: ${url()} \\[renews after ${
          T("+00:00")
        }\\]\\n$`
      )
    )
    const tokyo = await runMairu(home, ["list-sessions"], { env: { TZ: "Asia/Tokyo" } })
    expect(tokyo.stdout).toMatch(new RegExp(`^0\\. local: ${url()} \\[renews after ${T("+09:00")}\\]\\n1\\. beta: `))
  })

  it("refresh prints the session's line, in UTC with --utc", async () => {
    const before = (await server.stats()).token.refresh_token ?? 0
    const result = await runMairu(home, ["refresh", "--utc", "beta"])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^1\\. beta: ${url()} \\[renews after ${T("+00:00")}\\]\\n$`))
    expect((await server.stats()).token.refresh_token).toBe(before + 1)
    const local = await runMairu(home, ["refresh", "beta"], { env: { TZ: "America/New_York" } })
    expect(local.stdout).toMatch(new RegExp(`^1\\. beta: ${url()} \\[renews after ${T("-0[45]:00")}\\]\\n$`))
  })
})

describe("show", () => {
  const project = () => path.join(home.root, "show-project")

  it("prints {\"auto\": null} without a .mairu.json; -f exits 1, -q prints nothing", async () => {
    const nowhere = home.root
    const plain = await runMairu(home, ["show"], { cwd: nowhere })
    expect(plain).toMatchObject({ code: 0, stdout: "{\n  \"auto\": null\n}\n" })
    expect(await runMairu(home, ["show", "-f"], { cwd: nowhere })).toMatchObject({
      code: 1,
      stdout: "{\n  \"auto\": null\n}\n"
    })
    expect(await runMairu(home, ["show", "--fail-when-missing-auto", "-q"], { cwd: nowhere })).toMatchObject({
      code: 1,
      stdout: ""
    })
    expect(await runMairu(home, ["show", "--quiet"], { cwd: nowhere })).toMatchObject({ code: 0, stdout: "" })
  })

  it("prints the original's keys first, in its order and shape", async () => {
    fs.mkdirSync(path.join(project(), "deep"), { recursive: true })
    const file = path.join(project(), ".mairu.json")
    fs.writeFileSync(
      file,
      JSON.stringify({
        role: ROLE,
        server: "local",
        assume_role: { external_id: "x", role_arn: "arn:aws:iam::210987654321:role/Deploy", duration_seconds: 900 }
      })
    )
    const digest = autoDigest(file, fs.readFileSync(file))
    const untrusted = await runMairu(home, ["show", "-f"], { cwd: path.join(project(), "deep") })
    expect(untrusted.code).toBe(0)
    expect(untrusted.stdout).toBe(
      JSON.stringify(
        {
          auto: {
            server: "local",
            role: ROLE,
            mode: null,
            assume_role: { role_arn: "arn:aws:iam::210987654321:role/Deploy", duration_seconds: 900, external_id: "x" }
          },
          auto_source: file,
          auto_trusted: false,
          auto_logged_in: true,
          digest,
          server: { id: "local", url: server.url }
        },
        null,
        2
      ) + "\n"
    )
    // Approving it; no credentials are needed (the chain would need STS) to see the trust in show.
    const approve = ["exec", "--confirm-trust", digest, "--no-preflight-check", "auto", "true"]
    expect((await runMairu(home, approve, { cwd: project() })).code).toBe(0)
    expect(JSON.parse((await runMairu(home, ["show"], { cwd: project() })).stdout).auto_trusted).toBe(true)
  })

  it("says not logged in without an agent, and starts none", async () => {
    const h = makeHome()
    try {
      writeServerConfig(h.configDir, server)
      fs.writeFileSync(
        path.join(h.root, ".mairu.json"),
        JSON.stringify({ server: "local", role: "demo", mode: "static" })
      )
      const result = await runMairu(h, ["show"], { cwd: h.root })
      expect(result.code).toBe(0)
      const parsed = JSON.parse(result.stdout)
      expect(parsed.auto).toEqual({ server: "local", role: "demo", mode: "static" })
      expect([parsed.auto_trusted, parsed.auto_logged_in]).toEqual([false, false])
      expect(agentPids(h)).toHaveLength(0)
    } finally {
      fs.rmSync(h.root, { recursive: true, force: true })
    }
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

describe("setup-sso short flags", () => {
  let sso: DevServer
  let h: MairuHome
  beforeAll(async () => {
    sso = await startDevServer()
    h = makeHome({
      AWS_ENDPOINT_URL_SSO_OIDC: sso.url,
      AWS_ENDPOINT_URL_SSO: sso.url,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true"
    })
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
