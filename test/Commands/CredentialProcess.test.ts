import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts"
import { fromProcess } from "@aws-sdk/credential-providers"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { cleanupHome, type MairuHome, makeHome, runMairu } from "../support/mairu.js"
import { writeServerConfig } from "../support/servers.js"
import { awsToolEnv, setUpLocal, tearDownLocal, writeAwsConfig } from "../support/session.js"

const exec = promisify(execFile)

let server: DevServer
let home: MairuHome
let awsConfig: string

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
  awsConfig = writeAwsConfig(home, {
    dev: "local 123456789012/Developer",
    readonly: "local 123456789012/ReadOnly"
  })
})
afterAll(() => tearDownLocal({ server, home }))

const arnOf = (role: string) => `arn:aws:sts::123456789012:assumed-role/${role}/alice`

describe("credential-process", () => {
  it("prints exactly the credential_process JSON on stdout", async () => {
    const result = await runMairu(home, ["credential-process", "local", "123456789012/Developer"])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(Object.keys(json)).toEqual(["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"])
    expect(json.Version).toBe(1)
    expect(json.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/)
    expect(json.Expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(result.stderr).toBe("")
  })

  it("feeds the AWS SDK for JS (fromProcess), whose call the local STS verifies", async () => {
    const sts = new STSClient({
      region: "us-east-1",
      endpoint: server.stsEndpoint,
      credentials: fromProcess({ profile: "dev", configFilepath: awsConfig, filepath: "/dev/null" })
    })
    const identity = await sts.send(new GetCallerIdentityCommand({}))
    expect(identity.Arn).toBe(arnOf("Developer"))
  })

  it("feeds the AWS CLI v2", async () => {
    const { stdout } = await exec(
      "/usr/bin/aws",
      ["sts", "get-caller-identity", "--endpoint-url", server.stsEndpoint, "--output", "json"],
      { env: awsToolEnv(home, awsConfig, "readonly") }
    )
    expect(JSON.parse(stdout).Arn).toBe(arnOf("ReadOnly"))
  })

  it("feeds boto3", async () => {
    const script = "import boto3, json, sys\n" +
      "sts = boto3.Session().client('sts', endpoint_url=sys.argv[1])\n" +
      "print(json.dumps(sts.get_caller_identity()))\n"
    const { stdout } = await exec("/usr/bin/python3", ["-c", script, server.stsEndpoint], {
      env: awsToolEnv(home, awsConfig, "dev")
    })
    expect(JSON.parse(stdout).Arn).toBe(arnOf("Developer"))
  })

  it("answers fifty concurrent calls for one role with one upstream fetch", async () => {
    const role = "123456789012/Concurrent"
    const results = await Promise.all(
      Array.from({ length: 50 }, () => runMairu(home, ["credential-process", "local", role]))
    )
    const keys = new Set(results.map((r) => {
      expect(r.code).toBe(0)
      return JSON.parse(r.stdout).AccessKeyId
    }))
    expect(keys.size).toBe(1)
    expect((await server.stats()).assumeRole[role]).toBe(1)
  })

  it("serves from the cache, and --no-cache or a NoCache answer fetches anew", async () => {
    const role = "123456789012/Cached"
    const first = JSON.parse((await runMairu(home, ["credential-process", "local", role])).stdout)
    const second = JSON.parse((await runMairu(home, ["credential-process", "local", role])).stdout)
    expect(second.AccessKeyId).toBe(first.AccessKeyId)
    const fresh = JSON.parse((await runMairu(home, ["credential-process", "--no-cache", "local", role])).stdout)
    expect(fresh.AccessKeyId).not.toBe(first.AccessKeyId)
    expect((await server.stats()).assumeRole[role]).toBe(2)

    await runMairu(home, ["credential-process", "local", "nocache-role"])
    await runMairu(home, ["credential-process", "local", "nocache-role"])
    expect((await server.stats()).assumeRole["nocache-role"]).toBe(2)
  })

  it("says permission denied for a forbidden role, without asking for a login", async () => {
    const result = await runMairu(home, ["credential-process", "local", "forbidden-role"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("permission denied")
    expect(result.stderr).not.toContain("mairu login")
  })

  it("lists the session and the server's roles", async () => {
    const sessions = await runMairu(home, ["list-sessions", "--utc"])
    expect(sessions.code).toBe(0)
    expect(sessions.stdout).toMatch(
      new RegExp(
        `^0\\. local: ${
          server.url.replace(/[.]/g, "\\.")
        } \\[renews after \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00\\]\\n$`
      )
    )
    const roles = await runMairu(home, ["list-roles", "local"])
    expect(roles.code).toBe(0)
    expect(roles.stdout).toMatch(/^local\n {4}123456789012\/Developer {2}/)
    expect(roles.stdout).toContain("\n    demo    ")
  })

  it("refreshes the session with its refresh token", async () => {
    const before = (await server.stats()).token.refresh_token ?? 0
    const result = await runMairu(home, ["refresh", "local"])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^0\. local: \S+ \[renews after /)
    expect((await server.stats()).token.refresh_token).toBe(before + 1)
  })
})

describe("credential-process without a session", () => {
  it("exits non-zero, prints nothing on stdout and names the login command", async () => {
    const fresh = makeHome()
    try {
      writeServerConfig(fresh.configDir, server)
      const result = await runMairu(fresh, ["credential-process", "local", "demo"])
      expect(result.code).toBe(1)
      expect(result.stdout).toBe("")
      expect(result.stderr).toContain("not logged in to local")
      expect(result.stderr).toContain("mairu login local")
    } finally {
      await cleanupHome(fresh)
    }
  })
})
