import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type HostileServer, startHostileServer, writeHostileConfig } from "../support/hostileServer.js"
import {
  cleanupHome,
  collect,
  type MairuHome,
  makeHome,
  runMairu,
  type RunResult,
  startMairu,
  waitForStderr
} from "../support/mairu.js"
import { inTerminal } from "../support/terminal.js"

let server: HostileServer
let home: MairuHome
const outputs: Array<{ args: ReadonlyArray<string>; text: string }> = []

const run = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const result = await runMairu(home, args, { env })
  outputs.push({ args, text: result.stdout + result.stderr })
  return result
}

const login = async () => {
  const result = await run(["login", "--oauth-grant-type", "device_code", "hostile"])
  expect(result.stderr).toContain("Logged in to hostile")
  expect(result.code).toBe(0)
}

/** Nothing that moves the cursor, erases, retitles or reorders reached the output raw. */
const expectNoRawControls = (text: string) => {
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/)
}

const expectNoSecret = (result: RunResult) => {
  for (const secret of server.secrets()) {
    expect(result.stdout).not.toContain(secret)
    expect(result.stderr).not.toContain(secret)
  }
}

beforeAll(async () => {
  server = await startHostileServer()
  home = makeHome({ MAIRU_AGENT_LOG: "debug", MAIRU_NO_BROWSER: "1" })
  writeHostileConfig(home.configDir, server, "hostile", { revocation_endpoint: `${server.url}oauth/revoke` })
  await login()
})
afterAll(async () => {
  await cleanupHome(home)
  await server.stop()
})

describe("a hostile credential server", () => {
  it("cannot get the bearer token it echoes in a 403 printed, nor its control sequences", async () => {
    const result = await run(["exec", "--server", "hostile", "echo-403", "true"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("permission denied: assume-role echo-403 at hostile")
    expect(result.stderr).toContain("you sent Authorization: Bearer <redacted>")
    // The sequences are shown, not obeyed.
    expect(result.stderr).toContain("\\u001b]0;pwned\\u0007\\u001b[2K")
    expect(result.stderr).toContain("\\u202ecod.exe")
    expectNoRawControls(result.stderr)
    expectNoSecret(result)
  })

  it("cannot retitle the window or erase a line of a real terminal", async () => {
    const { code, screen } = await inTerminal(home, ["exec", "--server", "hostile", "echo-403", "true"], [])
    outputs.push({ args: ["(terminal) exec --server hostile echo-403 true"], text: screen })
    expect(code).toBe(1)
    expect(screen).toContain("\\u001b]0;pwned\\u0007\\u001b[2K :: mairu :: all good\\u202ecod.exe")
    expect(screen).not.toContain("\x1b")
    expect(screen).not.toContain("\x07")
    expect(screen).not.toContain("\u202e")
  })

  it("cannot get issued keys printed from an error page that quotes them", async () => {
    const result = await run(["credential-process", "hostile", "echo-500"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("\"SecretAccessKey\":\"<redacted>\"")
    expect(result.stderr).toContain("\"SessionToken\":\"<redacted>\"")
    expectNoRawControls(result.stderr)
    expectNoSecret(result)
  })

  it("names the field, never the value, of an answer that does not fit", async () => {
    const array = await run(["credential-process", "hostile", "array"])
    expect(array.code).toBe(1)
    expect(array.stderr).toContain(
      "assume-role array at hostile: the server's answer is not valid: the answer: expected an object"
    )
    expectNoSecret(array)
    const wrongType = await run(["credential-process", "hostile", "wrong-type"])
    expect(wrongType.code).toBe(1)
    expect(wrongType.stderr).toContain("Version: expected 1")
    expectNoSecret(wrongType)
  })

  it("answers deeply nested or oversized JSON with a clean error naming the server", async () => {
    const deep = await run(["credential-process", "hostile", "deep"])
    expect(deep.code).toBe(1)
    expect(deep.stderr).toContain(
      "assume-role deep at hostile: the server's answer is not usable: it nests deeper than 64 levels"
    )
    expect(deep.stderr).not.toContain("unexpectedly")
    const huge = await run(["credential-process", "hostile", "huge"])
    expect(huge.code).toBe(1)
    expect(huge.stderr).toContain("assume-role huge at hostile: the answer is larger than 1048576 bytes")
    expect(huge.stderr).not.toContain("unexpectedly")
    // The agent is still serving (this output is the product: credentials, not scanned below).
    const fine = await runMairu(home, ["credential-process", "hostile", "fine"])
    expect(fine.code).toBe(0)
    expect(JSON.parse(fine.stdout)).toMatchObject({ Version: 1, AccessKeyId: "AKIAHOSTILE" })
  })

  it("shows hostile role names as escapes, and keeps --json valid JSON with the same text", async () => {
    server.rolesAnswer("list")
    const text = await run(["list-roles", "hostile"])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(
      "hostile\n    Admin\\u001b]0;pwned\\u0007\\u001b[2K\\u000d  right-to-left \\u202eexe.txt"
    )
    expectNoRawControls(text.stdout)
    const json = await run(["list-roles", "--json", "hostile"])
    expect(json.code).toBe(0)
    expectNoRawControls(json.stdout)
    const parsed = JSON.parse(json.stdout) as { roles: Array<{ role: string; description: string }> }
    expect(parsed.roles[0]).toEqual({
      server_id: "hostile",
      role: "Admin\x1b]0;pwned\x07\x1b[2K\r",
      description: "right-to-left \u202eexe.txt and C1 \u0085 and DEL \x7f"
    })
  })

  it("cannot get the token it echoes in a 401 printed; the session ends and says how to log in", async () => {
    server.rolesAnswer("echo-401")
    const result = await run(["list-roles", "hostile"])
    server.rolesAnswer("list")
    expect(result.stderr).toContain("you sent Authorization: Bearer <redacted>")
    expect(result.stderr).toContain("mairu login hostile")
    expectNoRawControls(result.stderr)
    expectNoSecret(result)
  })

  it("cannot get the refresh token or the client secret it echoes from a refresh printed", async () => {
    await login()
    const result = await run(["refresh", "hostile"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("you sent Authorization: Basic <redacted>")
    expect(result.stderr).toContain("refresh_token=<redacted>")
    expectNoRawControls(result.stderr)
    expectNoSecret(result)
  })

  it("cannot get printed a key it issued for another role of the session, nor any token, id token or code", async () => {
    await login()
    const fine = await runMairu(home, ["credential-process", "hostile", "fine"])
    expect(fine.code).toBe(0)
    const issuedKey = (JSON.parse(fine.stdout) as { SecretAccessKey: string }).SecretAccessKey
    const result = await run(["credential-process", "hostile", "echo-keys"])
    expect(result.code).toBe(1)
    // Cut to an excerpt after the secrets are gone: no piece of one is left either.
    expect(result.stderr).toMatch(/recently issued: (<redacted> ){10,}<redact…\)/)
    expect(result.stderr).not.toContain(issuedKey)
    expectNoSecret(result)
  })

  it("cannot get the refresh token it did not revoke printed by logout", async () => {
    await login()
    const result = await run(["logout", "hostile"])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("revoking its refresh token failed")
    expect(result.stderr).toContain("token=<redacted>")
    expectNoRawControls(result.stderr)
    expectNoSecret(result)
  })

  it("cannot get it handed to another host through a restricted socket that allows logging out", async () => {
    await login()
    const folder = path.join(home.root, "forward")
    fs.mkdirSync(folder, { mode: 0o700 })
    const restricted = path.join(folder, "agent.sock")
    const forward = startMairu(home, ["forward-socket", restricted, "--allow", "hostile/*", "--allow-login"])
    forward.stdin.end()
    const forwardDone = collect(forward)
    try {
      await waitForStderr(forward, /Serving hostile\/\* \(logins allowed\) at/)
      const result = await run(["logout", "hostile"], { MAIRU_AGENT_SOCK: restricted, MAIRU_NO_AUTO_AGENT: "1" })
      expect(result.code).toBe(0)
      expect(result.stderr).toContain("revoking its refresh token failed")
      expect(result.stderr).toContain("token=<redacted>")
      expectNoSecret(result)
    } finally {
      forward.kill("SIGTERM")
      await forwardDone
    }
  })

  it("left no issued secret in any output, nor in the debug log", () => {
    const secrets = server.secrets()
    expect(secrets.length).toBeGreaterThan(8)
    const log = fs.readFileSync(path.join(home.stateDir, "mairu", "log", "agent.log"), "utf8")
    expect(log).toContain("request GetCredentials failed")
    expect(log).toContain("<redacted>")
    expectNoRawControls(log.replace(/\n/g, ""))
    for (const secret of secrets) {
      expect(log.includes(secret), "the agent log holds an issued secret").toBe(false)
      for (const { args, text } of outputs) {
        expect(text.includes(secret), `mairu ${args.join(" ")} printed an issued secret`).toBe(false)
      }
    }
  })
})
