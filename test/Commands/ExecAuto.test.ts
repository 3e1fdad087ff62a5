import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DevServer, startDevServer, writeServerConfig } from "../support/devServer.js"
import { cleanupHome, type MairuHome, makeHome, readAllFiles, runMairu } from "../support/mairu.js"
import { writeProbes } from "../support/probes.js"
import { loginByDevice } from "../support/session.js"

let server: DevServer
let home: MairuHome
let project: string
let probes: ReturnType<typeof writeProbes>

beforeAll(async () => {
  server = await startDevServer()
  // The agent (started by the first command) takes the STS endpoint for role chaining from here.
  home = makeHome({
    AWS_ENDPOINT_URL_STS: server.stsEndpoint,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null"
  })
  writeServerConfig(home.configDir, server)
  probes = writeProbes(home)
  project = path.join(home.root, "project")
  fs.mkdirSync(path.join(project, "deep", "er"), { recursive: true })
  await loginByDevice(home, server)
})
afterAll(async () => {
  await cleanupHome(home)
  await server.stop()
})

const writeAuto = (config: object) => fs.writeFileSync(path.join(project, ".mairu.json"), JSON.stringify(config))
const execAuto = (args: Array<string>, cwd = path.join(project, "deep", "er")) =>
  runMairu(home, ["exec", ...args], { cwd })

describe("exec auto", () => {
  it("refuses an untrusted file without a terminal and prints the approving command; the digest approves", async () => {
    writeAuto({ server: "local", role: "123456789012/Developer" })
    const refused = await execAuto(["auto", "sh", "-c", "echo ran"])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe("")
    const [, digest] = refused.stderr.match(/mairu exec --confirm-trust (\S+) auto sh -c 'echo ran'/) ?? []
    expect(digest).toMatch(/^[A-Za-z0-9_-]{64}$/)

    const wrong = await execAuto(["--confirm-trust", "x" + digest!.slice(1), "auto", "sh", "-c", "echo ran"])
    expect(wrong.code).toBe(1)
    expect(wrong.stdout).toBe("")
    expect(wrong.stderr).toContain("does not match")

    const approved = await execAuto(["--confirm-trust", digest!, "auto", "sh", "-c", "echo ran"])
    expect(approved.code).toBe(0)
    expect(approved.stdout).toBe("ran\n")
    const again = await execAuto(["auto", "sh", "-c", "echo again"])
    expect(again.stdout).toBe("again\n")

    const records = readAllFiles(path.join(home.stateDir, "mairu", "trust"))
    expect(records).toHaveLength(1)
    expect(fs.statSync(records[0]!.file).mode & 0o777).toBe(0o600)
    // The original Mairu's record: the same digest, in standard base64 with padding.
    expect(JSON.parse(records[0]!.content)).toMatchObject({
      path: path.join(project, ".mairu.json"),
      trust: true,
      digest: { type: "Sha384", hash: Buffer.from(digest!, "base64url").toString("base64") }
    })
  })

  it("asks again when the file changes", async () => {
    writeAuto({ server: "local", role: "123456789012/ReadOnly" })
    const refused = await execAuto(["auto", "true"])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("--confirm-trust")
  })

  it("uses the file's role, mode and region; flags win; --show-auto tells the choice", async () => {
    writeAuto({ server: "local", role: "123456789012/ReadOnly", mode: "static", region: "eu-west-1" })
    const digest = (await execAuto(["auto", "true"])).stderr.match(/--confirm-trust (\S+)/)![1]!
    const show = [
      "sh",
      "-c",
      "echo \"${AWS_ACCESS_KEY_ID:+static}${AWS_CONTAINER_CREDENTIALS_FULL_URI:+ecs} $AWS_REGION\""
    ]
    const fromFile = await execAuto(["--confirm-trust", digest, "--show-auto", "auto", ...show])
    expect(fromFile.stdout).toBe("static eu-west-1\n")
    expect(fromFile.stderr).toContain(
      `auto: server local, role 123456789012/ReadOnly (from ${path.join(project, ".mairu.json")})`
    )
    const flagged = await runMairu(home, ["exec", "--mode", "ecs", "auto", ...show], {
      cwd: project,
      env: { AWS_REGION: "ap-northeast-1" }
    })
    expect(flagged.stdout).toBe("ecs ap-northeast-1\n")
    const identity = await execAuto(["auto", "/usr/bin/python3", probes.botoProbe, server.stsEndpoint])
    expect(JSON.parse(identity.stdout).Arn).toBe("arn:aws:sts::123456789012:assumed-role/ReadOnly/alice")
  })

  it("shows the auto config in effect, its trust and the session as JSON", async () => {
    writeAuto({ server: "local", role: "shown-role" })
    const untrusted = await execAuto(["auto", "true"])
    const digest = untrusted.stderr.match(/--confirm-trust (\S+)/)![1]!
    const shown = await runMairu(home, ["show"], { cwd: path.join(project, "deep") })
    expect(shown.code).toBe(0)
    expect(JSON.parse(shown.stdout)).toEqual({
      auto: { server: "local", role: "shown-role", mode: null },
      auto_source: path.join(project, ".mairu.json"),
      auto_trusted: false,
      auto_logged_in: true,
      digest,
      server: { id: "local", url: server.url }
    })
    await execAuto(["--confirm-trust", digest, "auto", "true"])
    expect(JSON.parse((await runMairu(home, ["show"], { cwd: project })).stdout).auto_trusted).toBe(true)
    const nowhere = await runMairu(home, ["show", "-f", "-q"], { cwd: home.root })
    expect(nowhere.code).toBe(1)
    expect(nowhere.stdout).toBe("")
    const lenient = await runMairu(home, ["show"], { cwd: home.root })
    expect(lenient.code).toBe(0)
    expect(lenient.stdout).toBe("{\n  \"auto\": null\n}\n")
  })

  it("says where it looked when there is no .mairu.json", async () => {
    const result = await runMairu(home, ["exec", "auto", "true"], { cwd: home.root })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("no .mairu.json in")
  })
})

describe("role chaining", () => {
  it("credential-process assumes the role through STS with the external id, naming the session after the first hop", async () => {
    const result = await runMairu(home, [
      "credential-process",
      "--assume-role",
      "arn:aws:iam::210987654321:role/Target",
      "--assume-role-external-id",
      "ext-123",
      "--assume-role-duration-seconds",
      "1800",
      "local",
      "123456789012/Developer"
    ])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const credentials = JSON.parse(result.stdout)
    const calls = (await server.stats()).assumeRoleCalls
    expect(calls.at(-1)).toEqual({
      roleArn: "arn:aws:iam::210987654321:role/Target",
      roleSessionName: "alice",
      externalId: "ext-123",
      durationSeconds: 1800
    })
    const again = JSON.parse(
      (await runMairu(home, [
        "credential-process",
        "--assume-role",
        "arn:aws:iam::210987654321:role/Target",
        "--assume-role-external-id",
        "ext-123",
        "--assume-role-duration-seconds",
        "1800",
        "local",
        "123456789012/Developer"
      ])).stdout
    )
    expect(again.AccessKeyId).toBe(credentials.AccessKeyId)
    expect((await server.stats()).assumeRoleCalls).toHaveLength(calls.length)
  })

  it("exec chains from .mairu.json's assume_role, and the second hop's identity verifies", async () => {
    writeAuto({
      server: "local",
      role: "demo",
      assume_role: {
        role_arn: "arn:aws:iam::333333333333:role/Deploy",
        external_id: "from-file",
        role_session_name: "ci-run"
      }
    })
    const digest = (await execAuto(["auto", "true"])).stderr.match(/--confirm-trust (\S+)/)![1]!
    const result = await execAuto([
      "--confirm-trust",
      digest,
      "auto",
      process.execPath,
      probes.sdkProbe,
      server.stsEndpoint
    ])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).arns).toEqual(["arn:aws:sts::333333333333:assumed-role/Deploy/ci-run"])
    expect((await server.stats()).assumeRoleCalls.at(-1)).toMatchObject({
      externalId: "from-file",
      roleSessionName: "ci-run"
    })
  })

  it("refuses chaining details without a role to assume", async () => {
    const result = await runMairu(home, ["credential-process", "--assume-role-external-id", "x", "local", "demo"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("need --assume-role ARN")
  })
})
