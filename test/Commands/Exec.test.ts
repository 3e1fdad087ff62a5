import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { type MairuHome, runMairu } from "../support/mairu.js"
import { writeProbes } from "../support/probes.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome
let probes: ReturnType<typeof writeProbes>

beforeAll(async () => {
  ;({ server, home } = await setUpLocal({
    env: { AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true" }
  }))
  probes = writeProbes(home)
})
afterAll(() => tearDownLocal({ server, home }))

const arn = (role: string) => `arn:aws:sts::123456789012:assumed-role/${role}/alice`
const exec = (args: Array<string>, options: Parameters<typeof runMairu>[2] = {}) =>
  runMairu(home, ["exec", "--server", "local", ...args], options)

describe.each(["ecs", "static"])("exec --mode %s", (mode) => {
  it("feeds the AWS CLI v2, whose call the local STS verifies", async () => {
    const result = await exec([
      "--mode",
      mode,
      "123456789012/Developer",
      "/usr/bin/aws",
      "sts",
      "get-caller-identity",
      "--endpoint-url",
      server.stsEndpoint,
      "--region",
      "us-east-1",
      "--output",
      "json"
    ])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).Arn).toBe(arn("Developer"))
  })

  it("feeds boto3", async () => {
    const result = await exec([
      "--mode",
      mode,
      "123456789012/ReadOnly",
      "/usr/bin/python3",
      probes.botoProbe,
      server.stsEndpoint
    ])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).Arn).toBe(arn("ReadOnly"))
  })

  it("feeds the AWS SDK for JS default chain", async () => {
    const result = await exec(["--mode", mode, "demo", process.execPath, probes.sdkProbe, server.stsEndpoint])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).arns).toEqual([arn("demo")])
  })
})

describe("exec environment", () => {
  it("sets only the variables of its mode", async () => {
    const show = [
      "sh",
      "-c",
      "echo \"${AWS_ACCESS_KEY_ID:-}|${AWS_SESSION_TOKEN:+token}|${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}|${#AWS_CONTAINER_AUTHORIZATION_TOKEN}\""
    ]
    const ecs = await exec(["demo", ...show], { env: { AWS_ACCESS_KEY_ID: "AKIASTALE", AWS_SESSION_TOKEN: "stale" } })
    const [key, token, uri, tokenLength] = ecs.stdout.trim().split("|")
    expect(key).toBe("")
    expect(token).toBe("")
    expect(uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
    expect(Number(tokenLength)).toBeGreaterThanOrEqual(43)
    const stat = await exec(["--mode", "static", "demo", ...show])
    expect(stat.stdout.trim()).toMatch(/^ASIA[A-Z0-9]{16}\|token\|\|0$/)
  })

  it("answers a wrong or missing endpoint token with 401, and a hundred concurrent requests with one fetch", async () => {
    const role = "123456789012/Concurrent"
    const script = `
const url = process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, token = process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN
const missing = (await fetch(url)).status
const wrong = (await fetch(url, { headers: { authorization: token.slice(0, -1) + "x" } })).status
const bodies = await Promise.all(Array.from({ length: 100 }, () => fetch(url, { headers: { authorization: token } }).then((r) => r.json())))
console.log(JSON.stringify({ missing, wrong, keys: [...new Set(bodies.map((b) => b.AccessKeyId))], fields: Object.keys(bodies[0]) }))`
    const result = await exec([role, process.execPath, "--input-type=module", "-e", script])
    expect(result.code).toBe(0)
    const seen = JSON.parse(result.stdout)
    expect(seen.missing).toBe(401)
    expect(seen.wrong).toBe(401)
    expect(seen.keys).toHaveLength(1)
    expect(seen.fields).toEqual(["AccessKeyId", "SecretAccessKey", "Token", "Expiration"])
    expect((await server.stats()).assumeRole[role]).toBe(1)
  })

  it("stops answering on the endpoint once the command has exited", async () => {
    const result = await exec([
      "demo",
      "sh",
      "-c",
      "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN\""
    ])
    const [url, token] = result.stdout.trim().split(" ")
    await expect(fetch(url!, { headers: { authorization: token! } })).rejects.toThrow()
  })
})

describe("exec transparency", () => {
  it("passes the command's exit status on", async () => {
    for (const code of [0, 7, 255]) {
      const result = await exec(["demo", "sh", "-c", `exit ${code}`])
      expect(result.code).toBe(code)
    }
  })

  it("dies by the signal that killed the command", async () => {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      const result = await exec(["demo", "sh", "-c", `kill -${signal.slice(3)} $$`])
      expect(result.signal).toBe(signal)
    }
  })

  it("passes arguments untouched, its own flags included, and pipes stdin through", async () => {
    const args = ["--help", "--version", "--", "a b", "", "--log-level", "debug", "$HOME", "ü"]
    const result = await exec(["demo", process.execPath, probes.argvProbe, ...args])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(args)
    const piped = await exec(["demo", "sh", "-c", "tr a-z A-Z"], { input: "hello from stdin\n" })
    expect(piped.stdout).toBe("HELLO FROM STDIN\n")
  })

  it("passes SIGTERM sent to mairu on to the command and leaves nothing behind", async () => {
    const { startMairu, collect, waitForStderr } = await import("../support/mairu.js")
    const child = startMairu(home, [
      "exec",
      "--server",
      "local",
      "demo",
      "sh",
      "-c",
      "trap \"echo got-term >&2; exit 9\" TERM; echo ready >&2; while :; do sleep 0.1; done"
    ])
    child.stdin.end()
    const done = collect(child)
    await waitForStderr(child, /ready/)
    child.kill("SIGTERM")
    const result = await done
    expect(result.stderr).toContain("got-term")
    expect(result.code).toBe(9)
  })

  it("leaves no command behind when mairu itself is killed outright", async () => {
    const { startMairu, collect, waitForStderr } = await import("../support/mairu.js")
    const child = startMairu(home, ["exec", "--server", "local", "demo", "sh", "-c", "echo pid=$$ >&2; exec sleep 60"])
    child.stdin.end()
    const done = collect(child)
    const [, pid] = await waitForStderr(child, /pid=(\d+)/)
    child.kill("SIGKILL")
    await done
    const alive = () => {
      try {
        process.kill(Number(pid), 0)
        return true
      } catch {
        return false
      }
    }
    // The command gets SIGTERM as mairu dies; it is gone once the machine has run it (20 s at most).
    for (let i = 0; i < 400 && alive(); i++) await new Promise((r) => setTimeout(r, 50))
    expect(alive()).toBe(false)
  })

  it("reports a command that does not exist with exit 127", async () => {
    const result = await exec(["demo", "no-such-command-mairu"])
    expect(result.code).toBe(127)
    expect(result.stderr).toContain("command not found: no-such-command-mairu")
  })
})
