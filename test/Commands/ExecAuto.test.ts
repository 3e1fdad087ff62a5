import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DevServer, startDevServer } from "../support/devServer.js"
import { cleanupHome, type MairuHome, makeHome, runMairu } from "../support/mairu.js"
import { writeProbes } from "../support/probes.js"
import { writeServerConfig } from "../support/servers.js"
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
})
