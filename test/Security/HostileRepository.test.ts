import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { autoDigest, trustRecordPath } from "../../src/AutoConfig/AutoFile.js"
import type { DevServer } from "../support/devServer.js"
import { type MairuHome, runMairu } from "../support/mairu.js"
import { serversDirOf, writeServerFile } from "../support/servers.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"
import { inTerminal } from "../support/terminal.js"

let server: DevServer
let home: MairuHome
let serversDir: string

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
  serversDir = serversDirOf(home.configDir)
})
afterAll(() => tearDownLocal({ server, home }))

const project = (name: string, content: unknown) => {
  const dir = path.join(home.root, name)
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, ".mairu.json")
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content))
  return { dir, file }
}

const ESC = "\x1b"

describe("a hostile .mairu.json", () => {
  it("cannot disguise the role the trust prompt asks about: control characters are refused before any prompt", async () => {
    const spoof = `Admin\r${ESC}[2K:: mairu ::   role:   ReadOnly`
    const { dir, file } = project("spoof", { server: "local", role: spoof })
    const { code, screen } = await inTerminal(home, ["exec", "auto", "sh", "-c", "echo should-not-run"], [
      { waitFor: "Trust this file? (yes/no)", type: "yes\r" }
    ], dir)
    expect(screen).toContain(`${file} is not a valid .mairu.json: "role" holds control characters`)
    expect(screen).not.toContain("Trust this file?")
    expect(screen).not.toContain(ESC)
    expect(screen).not.toContain("should-not-run\r\n")
    expect(code).toBe(1)
  })

  it("refuses bidirectional overrides in any field, and status and show say why (status --json stays JSON)", async () => {
    const { dir, file } = project("bidi", { server: "local", role: "demo", region: "eu-west-1\u202e" })
    const exec = await runMairu(home, ["exec", "auto", "true"], { cwd: dir })
    expect(exec.code).toBe(1)
    expect(exec.stderr).toContain(`${file} is not a valid .mairu.json: "region" holds control characters`)
    const status = await runMairu(home, ["status", "--json"], { cwd: dir })
    expect(status.code).toBe(1)
    const report = JSON.parse(status.stdout) as { problems: Array<string> }
    expect(report.problems.join("\n")).toContain(`"region" holds control characters`)
    const show = await runMairu(home, ["show"], { cwd: dir })
    expect(show.code).toBe(1)
    expect(show.stderr).toContain(`"region" holds control characters`)
  })

  it("shows what the trust prompt quotes from outside (the path) as escapes", async () => {
    const { dir } = project(`proj${ESC}]0;pwned\x07${ESC}[31mred`, { server: "local", role: "demo" })
    const { code, screen } = await inTerminal(home, ["exec", "auto", "true"], [
      { waitFor: "Trust this file? (yes/no)", type: "no\r" }
    ], dir)
    expect(screen).toContain("proj\\u001b]0;pwned\\u0007\\u001b[31mred/.mairu.json asks mairu for credentials")
    expect(screen).toContain(":: mairu ::   role:   demo")
    expect(screen).not.toContain(ESC)
    expect(screen).not.toContain("\x07")
    expect(code).toBe(1)
    // show prints the same path as JSON: escaped on the way out, the same string once parsed.
    const show = await runMairu(home, ["show"], { cwd: dir })
    expect(show.code).toBe(0)
    expect(show.stdout).not.toContain(ESC)
    expect((JSON.parse(show.stdout) as { auto_source: string }).auto_source).toBe(path.join(dir, ".mairu.json"))
  })
})

describe("a hostile .mairu.json, second round", () => {
  it("cannot print a fake line with a newline in its folder's name: the path shows it as an escape", async () => {
    const { dir } = project("proj\n:: mairu ::   role:   ReadOnly\n", { server: "local", role: "demo" })
    const { code, screen } = await inTerminal(home, ["exec", "auto", "true"], [
      { waitFor: "Trust this file? (yes/no)", type: "no\r" }
    ], dir)
    expect(screen).toContain(
      "proj\\u000a:: mairu ::   role:   ReadOnly\\u000a/.mairu.json asks mairu for credentials:"
    )
    // Every line that shows a role is mairu's own.
    const roleLines = screen.split(/\r?\n/).filter((line) => /^(:: mairu :: +)+role:/.test(line))
    expect(roleLines).toEqual([":: mairu ::   role:   demo"])
    expect(code).toBe(1)
    const status = await runMairu(home, ["status"], { cwd: dir })
    expect(status.stdout).toContain("proj\\u000a:: mairu ::   role:   ReadOnly\\u000a/.mairu.json")
    expect(status.stdout.split("\n").some((line) => line.startsWith(":: mairu ::"))).toBe(false)
  })

  it.each([
    { field: "role", char: "\u200b", name: "a zero-width space" },
    { field: "server", char: "\ufeff", name: "a byte order mark" },
    { field: "role", char: "\u00ad", name: "a soft hyphen" },
    { field: "role", char: "\u2060", name: "a word joiner" }
  ])("refuses $name in the $field, like a control character, before any prompt", async ({ char, field }) => {
    const content = { server: "local", role: "demo", [field]: field === "role" ? `Read${char}Only` : `lo${char}cal` }
    const { dir, file } = project(`invisible-${char.codePointAt(0)!.toString(16)}`, content)
    const { code, screen } = await inTerminal(home, ["exec", "auto", "sh", "-c", "echo should-not-run"], [
      { waitFor: "Trust this file? (yes/no)", type: "yes\r" }
    ], dir)
    expect(screen).toContain(`${file} is not a valid .mairu.json: "${field}" holds control characters`)
    expect(screen).not.toContain("Trust this file?")
    expect(screen).not.toContain("should-not-run\r\n")
    expect(code).toBe(1)
  })

  it("shows every field of the chain in the trust prompt: role, external id, session name, duration", async () => {
    const { dir } = project("chain", {
      server: "local",
      role: "demo",
      assume_role: {
        role_arn: "arn:aws:iam::210987654321:role/Target",
        external_id: "ext-4711",
        role_session_name: "someone-else",
        duration_seconds: 3600
      }
    })
    const { code, screen } = await inTerminal(home, ["exec", "auto", "true"], [
      { waitFor: "Trust this file? (yes/no)", type: "no\r" }
    ], dir)
    expect(screen).toContain(":: mairu ::   then assume: arn:aws:iam::210987654321:role/Target")
    expect(screen).toContain(":: mairu ::     external id:  ext-4711")
    expect(screen).toContain(":: mairu ::     session name: someone-else")
    expect(screen).toContain(":: mairu ::     duration:     3600 s")
    expect(code).toBe(1)
  })
})

describe("a .mairu.json that another user owns", () => {
  it("is never used, not with its digest nor with a trust record, and the error names its owner", async () => {
    const { dir, file } = project("foreign", { server: "local", role: "demo" })
    fs.chownSync(file, 65534, 65534)
    const owner = /belongs to (nobody \(uid 65534\)|uid 65534), not to you/

    const plain = await runMairu(home, ["exec", "auto", "sh", "-c", "echo should-not-run"], { cwd: dir })
    expect(plain.stderr).toMatch(owner)
    expect(plain.stderr).toContain(`${file} is not used`)
    expect(plain.code).toBe(1)

    const digest = autoDigest(file, fs.readFileSync(file))
    const confirmed = await runMairu(home, [
      "exec",
      "--confirm-trust",
      digest,
      "auto",
      "sh",
      "-c",
      "echo should-not-run"
    ], { cwd: dir })
    expect(confirmed.stderr).toMatch(owner)
    expect(confirmed.stdout).not.toContain("should-not-run")
    expect(confirmed.code).toBe(1)

    // A trust record from before it changed hands: neither the fast nor the full path uses it.
    const trustDir = path.join(home.stateDir, "mairu", "trust")
    fs.mkdirSync(trustDir, { recursive: true, mode: 0o700 })
    fs.writeFileSync(trustRecordPath(trustDir, file), JSON.stringify({ path: file, trust: true, digest }))
    const recorded = await runMairu(home, ["exec", "auto", "sh", "-c", "echo should-not-run"], { cwd: dir })
    expect(recorded.stderr).toMatch(owner)
    expect(recorded.stdout).not.toContain("should-not-run")
    expect(recorded.code).toBe(1)

    const status = await runMairu(home, ["status", "--json"], { cwd: dir })
    expect((JSON.parse(status.stdout) as { problems: Array<string> }).problems.join("\n")).toMatch(owner)
    expect(status.code).toBe(1)

    // The same file, owned by the user again, is used as trusted.
    fs.chownSync(file, process.getuid!(), process.getgid!())
    const own = await runMairu(home, ["exec", "auto", "sh", "-c", "echo ran"], { cwd: dir })
    expect(own.stdout).toBe("ran\n")
    expect(own.code).toBe(0)
  })
})

describe("servers.d files others can change", () => {
  const writeOther = (name: string) => {
    const config = JSON.parse(fs.readFileSync(path.join(serversDir, "local.json"), "utf8")) as Record<string, unknown>
    return writeServerFile(home.configDir, name, { ...config, id: name })
  }

  it("skips a file that group or others can write, with a warning and a problem in status", async () => {
    const file = writeOther("writable")
    try {
      fs.chmodSync(file, 0o666)
      const warm = await runMairu(home, ["credential-process", "local", "demo"])
      expect(warm.code).toBe(0)
      const refused = await runMairu(home, ["credential-process", "writable", "demo"])
      expect(refused.stderr).toContain(
        `warning: skipped server file ${file}: other users can change it (mode 0666); if its content is yours, run: chmod go-w ${file}`
      )
      expect(refused.stderr).toContain("no server \"writable\" is configured")
      expect(refused.stdout).toBe("")
      expect(refused.code).toBe(1)
      const status = await runMairu(home, ["status", "--json"])
      expect(status.code).toBe(1)
      expect((JSON.parse(status.stdout) as { problems: Array<string> }).problems.join("\n")).toContain(
        `${file}: other users can change it`
      )
      // Fixed as the warning says, it is used at once (the agent notices the chmod).
      fs.chmodSync(file, 0o644)
      // A server without a session yet, no longer skipped.
      const fixed = await runMairu(home, ["credential-process", "writable", "demo"])
      expect(fixed.stderr).not.toContain("skipped")
      expect(fixed.stderr).toContain("not logged in to writable. Log in with: mairu login writable")
    } finally {
      fs.rmSync(file, { force: true })
    }
  })

  it("skips a file another user owns", async () => {
    const file = writeOther("foreign")
    try {
      fs.chownSync(file, 65534, 65534)
      const refused = await runMairu(home, ["credential-process", "foreign", "demo"])
      expect(refused.stderr).toMatch(
        /skipped server file .*foreign\.json: it belongs to (nobody \(uid 65534\)|uid 65534), not to you/
      )
      expect(refused.code).toBe(1)
    } finally {
      fs.rmSync(file, { force: true })
    }
  })
})

describe("server URLs", () => {
  const write = (name: string, config: object) => {
    return writeServerFile(home.configDir, name, { id: name, ...config })
  }

  it("refuses plain http to another machine and any other scheme, for the url and every endpoint", async () => {
    const files = {
      remote: write("remote", { url: "http://example.com/", oauth: { client_id: "c", device_grant: {} } }),
      token: write("token", {
        url: "https://example.com/",
        oauth: { client_id: "c", token_endpoint: "file:///etc/", device_grant: {} }
      }),
      device: write("device", {
        url: "https://example.com/",
        oauth: { client_id: "c", device_grant: { device_authorization_endpoint: "ftp://example.com/device" } }
      }),
      authorize: write("authorize", {
        url: "https://example.com/",
        oauth: { client_id: "c", code_grant: { authorization_endpoint: "http://10.0.0.1/authorize" } }
      }),
      loopback: write("loopback", {
        url: "https://example.com/",
        oauth: {
          client_id: "c",
          token_endpoint: "http://127.0.0.5:1/token",
          device_grant: { device_authorization_endpoint: "http://[::1]:1/device" },
          code_grant: { authorization_endpoint: "http://localhost:1/authorize" }
        }
      })
    }
    try {
      const status = await runMairu(home, ["status", "--json"])
      expect(status.code).toBe(1)
      const report = JSON.parse(status.stdout) as { servers: Array<{ id: string }>; problems: Array<string> }
      const problems = report.problems.join("\n")
      expect(problems).toContain(`${files.remote}: "url" http://example.com/ uses plain http to another machine`)
      expect(problems).toContain(`${files.token}: "token_endpoint" file:///etc/ uses the scheme "file"`)
      expect(problems).toContain(
        `${files.device}: "device_authorization_endpoint" ftp://example.com/device uses the scheme "ftp"`
      )
      expect(problems).toContain(
        `${files.authorize}: "authorization_endpoint" http://10.0.0.1/authorize uses plain http`
      )
      expect(problems).not.toContain(files.loopback)
      expect(report.servers.map((s) => s.id).sort()).toEqual(["local", "loopback"])

      const login = await runMairu(home, ["login", "--oauth-grant-type", "device_code", "token"])
      expect(login.stderr).toContain(
        `warning: skipped server file ${files.token}: "token_endpoint" file:///etc/ uses the scheme "file"`
      )
      expect(login.stderr).not.toContain("unexpectedly")
      expect(login.code).toBe(1)

      const setup = await runMairu(home, [
        "setup-sso",
        "remote-sso",
        "--region",
        "us-east-1",
        "--start-url",
        "http://example.com/start"
      ])
      expect(setup.stderr).toContain("--start-url http://example.com/start uses plain http to another machine")
      expect(setup.code).toBe(1)
      expect(fs.existsSync(path.join(serversDir, "remote-sso.json"))).toBe(false)
    } finally {
      for (const file of Object.values(files)) fs.rmSync(file, { force: true })
    }
  })
})

describe("text from argv and the environment", () => {
  it("is shown escaped, in the CLI's own errors and in mairu's messages", async () => {
    const attack = `${ESC}]0;pwned\x07${ESC}[2K\u202e`
    const shown = "\\u001b]0;pwned\\u0007\\u001b[2K\\u202e"
    const unknownArgument = await runMairu(home, ["list-roles", "--bogus", attack])
    expect(unknownArgument.code).toBe(1)
    expect(unknownArgument.stderr).toContain(shown)
    const unknownServer = await runMairu(home, ["exec", "--server", attack, "demo", "true"])
    expect(unknownServer.code).toBe(1)
    expect(unknownServer.stderr).toContain(`no server "${shown}" is configured`)
    const badPort = await runMairu(home, ["login", "--oauth-grant-type", "device_code", "local"], {
      env: { MAIRU_LOCAL_PORT: attack }
    })
    expect(badPort.code).toBe(1)
    expect(badPort.stderr).toContain(`MAIRU_LOCAL_PORT="${shown}" is not a port number`)
    for (const result of [unknownArgument, unknownServer, badPort]) {
      expect(result.stderr).not.toContain(ESC)
      expect(result.stderr).not.toContain("\u202e")
    }
  })
})
