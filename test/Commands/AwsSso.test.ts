import { execFile } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { approveInBrowser } from "../support/browser.js"
import { type DevServer, startDevServer } from "../support/devServer.js"
import {
  cleanupHome,
  collect,
  type MairuHome,
  readAllFiles,
  runMairu,
  startMairu,
  waitForStderr
} from "../support/mairu.js"
import { writeProbes } from "../support/probes.js"
import { writeServerFile } from "../support/servers.js"
import { awsToolEnv, loginByDevice, makeSsoHome, setUpSso, writeAwsConfig } from "../support/session.js"

const exec = promisify(execFile)

let server: DevServer
let home: MairuHome
let probes: ReturnType<typeof writeProbes>

beforeAll(async () => {
  server = await startDevServer({ ssoAccessTokenTtl: 2 })
  home = makeSsoHome(server)
  probes = writeProbes(home)
})
afterAll(async () => {
  await cleanupHome(home)
  await server.stop()
})

const ROLE = "111111111111/AdministratorAccess"
const ARN = "arn:aws:sts::111111111111:assumed-role/AdministratorAccess/alice"

describe("AWS IAM Identity Center", () => {
  it("setup-sso writes the server file as the original does, registers both clients once, and refuses to overwrite without -y", async () => {
    const first = await setUpSso(home, server)
    expect(first.stderr).toContain("Registered mairu as an OAuth client")
    expect(first.code).toBe(0)
    const file = path.join(home.configDir, "mairu", "servers.d", "contoso.json")
    expect(fs.readFileSync(file, "utf8")).toBe([
      "{",
      `  "url": "${server.url}start",`,
      `  "id": "contoso",`,
      `  "aws_sso": {`,
      `    "region": "us-east-1",`,
      `    "scope": [`,
      `      "sso:account:access"`,
      `    ],`,
      `    "local_port": null`,
      `  }`,
      `}`,
      ``
    ].join("\n"))
    const again = await setUpSso(home, server)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain("exists already; to replace it run the same command with --overwrite (-y)")
    expect(
      (await runMairu(home, [
        "setup-sso",
        "contoso",
        "-y",
        "--region",
        "us-east-1",
        "--start-url",
        `${server.url}start`
      ])).code
    ).toBe(0)
    expect((await server.stats()).sso.registerClient).toBe(2)
    const cache = readAllFiles(path.join(home.stateDir, "mairu", "cache"))
    expect(cache.map((c) => path.basename(c.file).replace(/^awssso_c\.[A-Za-z0-9_-]{43}\./, "awssso_c.KEY.")).sort())
      .toEqual(["awssso_c.KEY.code.json", "awssso_c.KEY.device.json"])
    for (const { file: cached } of cache) expect(fs.statSync(cached).mode & 0o777).toBe(0o600)
  })

  it("logs in by code grant in a real browser on the emulator's authorize page, reusing the registration", async () => {
    const child = startMairu(home, ["login", "contoso"])
    child.stdin.end()
    const done = collect(child)
    const [shortUrl] = await waitForStderr(child, /http:\/\/127\.0\.0\.1:\d+\/auth\/[A-Za-z0-9_-]+/)
    const message = await approveInBrowser(shortUrl!, `${server.url}authorize?`, /\/oauth\/callback/)
    expect(message).toContain("You can close this window")
    const result = await done
    expect(result.code).toBe(0)
    const stats = await server.stats()
    expect(stats.sso.registerClient).toBe(2)
    expect(stats.sso.createToken.authorization_code).toBe(1)
  })

  it("feeds credential-process to the AWS CLI, boto3 and the SDK for JS, and exec too", async () => {
    const config = writeAwsConfig(home, { admin: `contoso ${ROLE}` })
    const cli = await exec("/usr/bin/aws", [
      "sts",
      "get-caller-identity",
      "--endpoint-url",
      server.stsEndpoint,
      "--output",
      "json"
    ], {
      env: awsToolEnv(home, config, "admin")
    })
    expect(JSON.parse(cli.stdout).Arn).toBe(ARN)
    const boto = await exec("/usr/bin/python3", [probes.botoProbe, server.stsEndpoint], {
      env: awsToolEnv(home, config, "admin")
    })
    expect(JSON.parse(boto.stdout).Arn).toBe(ARN)
    for (const mode of ["ecs", "static"]) {
      const result = await runMairu(home, [
        "exec",
        "--server",
        "contoso",
        "--mode",
        mode,
        ROLE,
        process.execPath,
        probes.sdkProbe,
        server.stsEndpoint
      ])
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout).arns).toEqual([ARN])
    }
  })

  it("refreshes the short-lived access token without a new login", async () => {
    const before = (await server.stats()).sso.createToken.refresh_token ?? 0
    await new Promise((r) => setTimeout(r, 1200))
    const result = await runMairu(home, ["credential-process", "--no-cache", "contoso", "222222222222/ReadOnly"])
    expect(result.code).toBe(0)
    expect((await server.stats()).sso.createToken.refresh_token).toBeGreaterThan(before)
  })

  it("lists every account and role across pages", async () => {
    const result = await runMairu(home, ["list-roles", "-o", "oneline", "contoso"])
    expect(result.code).toBe(0)
    const pairs = result.stdout.trim().split("\n").map((line) => line.split(/ +/)[1])
    expect(pairs).toContain(ROLE)
    expect(new Set(pairs.map((p) => p!.split("/")[0]))).toEqual(
      new Set(["111111111111", "222222222222", "333333333333", "444444444444", "555555555555"])
    )
    expect(result.stdout).toContain("  Production (aws+111111111111@example.com)")
  })

  it("explains a role that is not ACCOUNT_ID/PERMISSION_SET, and a role not assigned", async () => {
    const malformed = await runMairu(home, ["credential-process", "contoso", "AdministratorAccess"])
    expect(malformed.code).toBe(1)
    expect(malformed.stderr).toContain("ACCOUNT_ID/PERMISSION_SET")
    const forbidden = await runMairu(home, ["credential-process", "contoso", "999999999999/Nope"])
    expect(forbidden.code).toBe(1)
    expect(forbidden.stderr).toContain("permission denied")
  })

  it("logs in by device grant with the registration of its own that setup-sso made", async () => {
    await loginByDevice(home, server, "contoso")
    expect((await server.stats()).sso.registerClient).toBe(2)
  })

  it("shares client registrations with the original Mairu: its cache files are used, and mairu writes them as it does", async () => {
    const cacheDir = path.join(home.stateDir, "mairu", "cache")
    const key = crypto.createHash("sha256")
      .update(`v0\0\0contoso\0\0${server.url}start\0\0us-east-1\0\0sso:account:access`)
      .digest("base64url")
    const written = fs.readFileSync(path.join(cacheDir, `awssso_c.${key}.device.json`), "utf8")
    expect(written).toMatch(
      /^\{\n {2}"id": "contoso",\n {2}"epoch": 3,\n {2}"issued_at": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",\n {2}"expires_at": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",\n {2}"client_id": "[^"]+",\n {2}"client_secret": "[^"]+"\n\}\n$/
    )
    const { client_id: clientId, client_secret: clientSecret } = JSON.parse(written) as Record<string, string>

    // A user of the original: its setup-sso's server file and its registration cache, byte for byte.
    const h = makeSsoHome(server)
    try {
      writeServerFile(
        h.configDir,
        "contoso",
        `{\n  "url": "${server.url}start",\n  "id": "contoso",\n  "aws_sso": {\n    "region": "us-east-1",\n    "scope": [\n` +
          `      "sso:account:access"\n    ],\n    "local_port": null\n  }\n}\n`
      )
      const hCache = path.join(h.stateDir, "mairu", "cache")
      fs.mkdirSync(hCache, { recursive: true })
      const original = (epoch: number) =>
        `{\n  "id": "contoso",\n  "epoch": ${epoch},\n  "issued_at": "2026-01-01T00:00:00Z",\n  "expires_at": "2099-01-01T00:00:00Z",\n` +
        `  "client_id": "${clientId}",\n  "client_secret": "${clientSecret}"\n}\n`
      fs.writeFileSync(path.join(hCache, `awssso_c.${key}.device.json`), original(3), { mode: 0o600 })
      const before = (await server.stats()).sso.registerClient
      await loginByDevice(h, server, "contoso")
      expect((await server.stats()).sso.registerClient).toBe(before)
      expect(fs.readFileSync(path.join(hCache, `awssso_c.${key}.device.json`), "utf8")).toBe(original(3))

      // An older epoch does not count for the original, so not for mairu either: a new registration replaces it.
      await runMairu(h, ["kill-agent"])
      fs.writeFileSync(path.join(hCache, `awssso_c.${key}.device.json`), original(2), { mode: 0o600 })
      await loginByDevice(h, server, "contoso")
      expect((await server.stats()).sso.registerClient).toBe(before + 1)
      expect(fs.readFileSync(path.join(hCache, `awssso_c.${key}.device.json`), "utf8")).toContain(`"epoch": 3,`)
    } finally {
      await cleanupHome(h)
    }
  })

  it("asks for a login when the session is revoked", async () => {
    await server.revoke()
    const result = await runMairu(home, ["credential-process", "--no-cache", "contoso", ROLE])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("mairu login contoso")
  })
})

describe("an expired client registration", () => {
  it("is replaced at the next login", async () => {
    const short = await startDevServer({ ssoClientTtl: 5 })
    const h = makeSsoHome(short)
    try {
      expect((await setUpSso(h, short)).code).toBe(0)
      await loginByDevice(h, short, "contoso")
      await loginByDevice(h, short, "contoso")
      const stats = await short.stats()
      // setup-sso's two registrations, then a device one per login, each replaced as it expires.
      expect(stats.sso.registerClient).toBe(4)
    } finally {
      await cleanupHome(h)
      await short.stop()
    }
  })
})
