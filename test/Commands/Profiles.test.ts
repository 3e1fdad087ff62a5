import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DevServer, startDevServer } from "../support/devServer.js"
import { cleanupHome, mairuBin, type MairuHome, makeHome, repoRoot, runMairu } from "../support/mairu.js"
import { writeServerFile } from "../support/servers.js"
import { loginByDevice } from "../support/session.js"

const exec = promisify(execFile)

const ROLES = ["123456789012/Developer", "123456789012/ReadOnly", "demo", "it's a role", "team #1; ops"]
const arnOf = (account: string, role: string) => `arn:aws:sts::${account}:assumed-role/${role}/alice`

/** The user's own config: comments, profiles, one named as mairu would name a role, no final line break. */
const USER_CONFIG = Buffer.from(
  "# My AWS settings: mairu must leave every byte of them as it is.\n" +
    "[default]\nregion = eu-west-1\n\n" +
    "[profile mine]   ; written by hand\ncredential_process = /bin/false\n\n" +
    "[profile mairu-local-demo]\nregion = ap-northeast-1\noutput = text"
)

let server: DevServer
let home: MairuHome
let awsConfig: string
/** A PATH with nothing in it: the profiles must name mairu by absolute path. */
let emptyPath: string

/** What an AWS tool gets: no PATH to find anything, no AWS_CA_BUNDLE, only what reaches mairu's agent. */
const toolEnv = (h: MairuHome, configFile: string): Record<string, string> => ({
  PATH: emptyPath,
  HOME: h.env.HOME!,
  XDG_CONFIG_HOME: h.env.XDG_CONFIG_HOME!,
  XDG_STATE_HOME: h.env.XDG_STATE_HOME!,
  MAIRU_AGENT_SOCK: h.env.MAIRU_AGENT_SOCK!,
  AWS_CONFIG_FILE: configFile,
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_PAGER: ""
})

/** The identity the AWS CLI v2 gets through `profile` (its region, unless `options` name one). */
const cliIdentity = async (h: MairuHome, configFile: string, profile: string, options: ReadonlyArray<string> = []) => {
  const args = ["--profile", profile, ...options, "--endpoint-url", server.stsEndpoint, "--output", "json"]
  const { stdout } = await exec("/usr/bin/aws", [...args, "sts", "get-caller-identity"], {
    env: toolEnv(h, configFile)
  })
  return (JSON.parse(stdout) as { Arn: string }).Arn
}

/** The identity each AWS tool gets through `profile`: the AWS CLI v2, boto3, and the SDK for JavaScript's fromIni. */
const identities = async (h: MairuHome, configFile: string, profile: string) => {
  const env = toolEnv(h, configFile)
  const cli = await cliIdentity(h, configFile, profile, ["--region", "us-east-1"])
  const boto = await exec("/usr/bin/python3", [
    "-c",
    "import boto3, json, sys\n" +
    "sts = boto3.Session(profile_name=sys.argv[1]).client('sts', endpoint_url=sys.argv[2], region_name='us-east-1')\n" +
    "print(json.dumps(sts.get_caller_identity()))",
    profile,
    server.stsEndpoint
  ], { env })
  const js = await exec(process.execPath, [
    "--input-type=module",
    "-e",
    `import { createRequire } from "node:module"
const require = createRequire(${JSON.stringify(path.join(repoRoot, "package.json"))})
const { fromIni } = require("@aws-sdk/credential-providers")
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts")
const [profile, endpoint] = process.argv.slice(1)
const sts = new STSClient({ region: "us-east-1", endpoint, credentials: fromIni({ profile }) })
console.log(JSON.stringify(await sts.send(new GetCallerIdentityCommand({}))))`,
    profile,
    server.stsEndpoint
  ], { env })
  return [cli, ...[boto, js].map((run) => (JSON.parse(run.stdout) as { Arn: string }).Arn)]
}

const blockOf = (text: string) => text.slice(text.indexOf("# BEGIN mairu profiles"))
const profilesIn = (text: string) => [...text.matchAll(/^\[profile ([^\]]+)\]/gm)].map((match) => match[1])

beforeAll(async () => {
  server = await startDevServer()
  await server.roles(ROLES.map((Name) => ({ Name, Description: `the ${Name} role` })))
  home = makeHome()
  emptyPath = path.join(home.root, "empty-path")
  fs.mkdirSync(emptyPath)
  // The server file as the original Mairu writes it: nulls for absent keys, its own grant names.
  writeServerFile(home.configDir, "local", {
    url: server.url,
    id: "local",
    aws_sso: null,
    oauth: {
      client_id: server.clientId,
      client_secret: null,
      token_endpoint: null,
      code_grant: null,
      device_code_grant: { device_authorization_endpoint: new URL("oauth/device", server.url).toString() },
      default_grant_type: "device_code"
    }
  })
  await loginByDevice(home, server, "local")
  awsConfig = path.join(home.env.HOME!, ".aws", "config")
  fs.mkdirSync(path.dirname(awsConfig), { recursive: true })
  fs.writeFileSync(awsConfig, USER_CONFIG, { mode: 0o640 })
  fs.chmodSync(awsConfig, 0o640)
})
afterAll(async () => {
  await cleanupHome(home)
  await server.stop()
})

describe("mairu profiles", () => {
  it("writes a profile per role in its block after the user's bytes, and leaves a colliding name to the user", async () => {
    const result = await runMairu(home, ["profiles"])
    expect(result.stderr).toContain(
      "warning: profile mairu-local-demo is defined in " + awsConfig + " outside mairu's block: yours stays as it is"
    )
    expect(result.stderr).toContain("local: 4 added, 0 removed, 0 kept.")
    expect(result.stdout).toBe("")
    expect(result.code).toBe(0)
    const bytes = fs.readFileSync(awsConfig)
    expect(bytes.subarray(0, USER_CONFIG.length)).toEqual(USER_CONFIG)
    expect(bytes.subarray(USER_CONFIG.length).toString()).toMatch(/^\n# BEGIN mairu profiles/)
    expect(fs.statSync(awsConfig).mode & 0o777).toBe(0o640)
    const text = bytes.toString()
    expect(profilesIn(text)).toEqual([
      "mine",
      "mairu-local-demo",
      "mairu-local-123456789012-developer",
      "mairu-local-123456789012-readonly",
      "mairu-local-it-s-a-role",
      "mairu-local-team--1--ops"
    ])
    // mairu by absolute path: Node.js and the real path of the npm package's script.
    const prefix = `credential_process = ${process.execPath} ${fs.realpathSync(mairuBin)} credential-process local `
    expect(text).toContain(`${prefix}123456789012/Developer\n`)
    expect(text).toContain(`${prefix}it"'"'s a role'\n`)
    expect(blockOf(text)).not.toContain("region =")
  })

  it("gives the AWS CLI, boto3 and the AWS SDK for JavaScript each role's identity, role names with spaces too", async () => {
    expect(await identities(home, awsConfig, "mairu-local-123456789012-developer")).toEqual(
      Array(3).fill(arnOf("123456789012", "Developer"))
    )
    expect(await identities(home, awsConfig, "mairu-local-it-s-a-role")).toEqual(
      Array(3).fill(arnOf("123456789012", "it's a role"))
    )
    expect(await identities(home, awsConfig, "mairu-local-team--1--ops")).toEqual(
      Array(3).fill(arnOf("123456789012", "team #1; ops"))
    )
  })

  it("prints the block on --print and changes no file", async () => {
    const before = fs.readFileSync(awsConfig)
    const mtime = fs.statSync(awsConfig).mtimeMs
    const result = await runMairu(home, ["profiles", "--print", "local"])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(
      blockOf(before.toString()).replace(/^# BEGIN mairu profiles.*/, "# BEGIN mairu profiles")
    )
    expect(fs.readFileSync(awsConfig)).toEqual(before)
    expect(fs.statSync(awsConfig).mtimeMs).toBe(mtime)
  })

  it("removes the profile of a role that is gone on the next run, and leaves the user's bytes", async () => {
    await server.roles(ROLES.filter((role) => role !== "123456789012/ReadOnly").map((Name) => ({ Name })))
    const result = await runMairu(home, ["profiles"])
    expect(result.stderr).toContain("local: 0 added, 1 removed, 3 kept.")
    expect(result.code).toBe(0)
    const bytes = fs.readFileSync(awsConfig)
    expect(bytes.subarray(0, USER_CONFIG.length)).toEqual(USER_CONFIG)
    expect(profilesIn(bytes.toString())).not.toContain("mairu-local-123456789012-readonly")
    expect(profilesIn(bytes.toString())).toContain("mairu-local-123456789012-developer")
    const again = await runMairu(home, ["profiles"])
    expect(again.stderr).toContain("is up to date: nothing to change")
    expect(fs.readFileSync(awsConfig)).toEqual(bytes)
  })

  it("keeps the profiles of a server whose roles cannot be listed, and tells the command that fixes it", async () => {
    const before = fs.readFileSync(awsConfig)
    await server.faults({ roles: "500" })
    const broken = await runMairu(home, ["profiles", "local"])
    await server.faults({ roles: "none" })
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain("local: its roles could not be listed")
    expect(broken.stderr).toContain(
      "Kept its 3 profiles from before; once that is fixed (usually with mairu login local)"
    )
    expect(fs.readFileSync(awsConfig)).toEqual(before)

    expect((await runMairu(home, ["logout", "local"])).code).toBe(0)
    const loggedOut = await runMairu(home, ["profiles"])
    expect(loggedOut.stderr).toContain("local: not logged in; kept its 3 profiles from before")
    expect(loggedOut.stderr).toContain("mairu login local, then mairu profiles")
    expect(loggedOut.code).toBe(0)
    const named = await runMairu(home, ["profiles", "local"])
    expect(named.code).toBe(1)
    expect(named.stderr).toContain("mairu login local")
    expect(fs.readFileSync(awsConfig)).toEqual(before)
    await loginByDevice(home, server, "local")
  })

  it("refuses contradictory flags, a region that is none, and a file whose markers do not make one block", async () => {
    const before = fs.readFileSync(awsConfig)
    const both = await runMairu(home, ["profiles", "--print", "--remove"])
    expect(both.code).toBe(1)
    expect(both.stderr).toContain("--print and --remove do opposite things; give one of them")
    const region = await runMairu(home, ["profiles", "--region", "moon-1"])
    expect(region.code).toBe(1)
    expect(region.stderr).toContain("--region moon-1 is not an AWS region name such as us-east-1")
    const broken = Buffer.concat([before, Buffer.from("\n# BEGIN mairu profiles\n")])
    fs.writeFileSync(awsConfig, broken)
    const markers = await runMairu(home, ["profiles"])
    expect(markers.code).toBe(1)
    expect(markers.stderr).toContain(`${awsConfig} is left as it is: it has 2 "# BEGIN mairu profiles" and 1`)
    expect(fs.readFileSync(awsConfig)).toEqual(broken)
    fs.writeFileSync(awsConfig, before)
  })

  it("--remove takes the block out: the file is back to its bytes and mode before the first run", async () => {
    const result = await runMairu(home, ["profiles", "--remove"])
    expect(result.stderr).toContain(`Removed mairu's block (3 profiles) from ${awsConfig}.`)
    expect(result.code).toBe(0)
    expect(fs.readFileSync(awsConfig)).toEqual(USER_CONFIG)
    expect(fs.statSync(awsConfig).mode & 0o777).toBe(0o640)
    const again = await runMairu(home, ["profiles", "--remove"])
    expect(again.stderr).toContain("has no profiles from mairu: nothing to remove")
    expect(fs.readFileSync(awsConfig)).toEqual(USER_CONFIG)
  })
})

describe("mairu profiles for AWS IAM Identity Center", () => {
  let sso: MairuHome
  beforeAll(async () => {
    sso = makeHome({
      AWS_ENDPOINT_URL_SSO_OIDC: server.url,
      AWS_ENDPOINT_URL_SSO: server.url,
      AWS_ENDPOINT_URL_STS: server.stsEndpoint,
      AWS_EC2_METADATA_DISABLED: "true"
    })
    const setup = await runMairu(sso, [
      "setup-sso",
      "contoso",
      "--region",
      "us-east-1",
      "--start-url",
      `${server.url}start`
    ])
    expect(setup.code).toBe(0)
    await loginByDevice(sso, server, "contoso")
  })
  afterAll(() => cleanupHome(sso))

  it("writes ~/.aws/config (0600, in a 0700 folder) with the server's region, and the AWS tools get each role through it", async () => {
    const file = path.join(sso.env.HOME!, ".aws", "config")
    const result = await runMairu(sso, ["profiles", "--prefix", "Work"])
    expect(result.stderr).toContain("contoso: 10 added, 0 removed, 0 kept.")
    expect(result.code).toBe(0)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    const text = fs.readFileSync(file, "utf8")
    expect(text).toContain(
      "[profile work-contoso-111111111111-administratoraccess]\n" +
        `credential_process = ${process.execPath} ${fs.realpathSync(mairuBin)} credential-process contoso ` +
        "111111111111/AdministratorAccess\nregion = us-east-1\n"
    )
    // No --region: the profile's own.
    expect(await cliIdentity(sso, file, "work-contoso-111111111111-administratoraccess"))
      .toBe(arnOf("111111111111", "AdministratorAccess"))
    expect(await identities(sso, file, "work-contoso-222222222222-readonly")).toEqual(
      Array(3).fill(arnOf("222222222222", "ReadOnly"))
    )
    const print = await runMairu(sso, ["profiles", "--print", "--region", "eu-west-2", "--prefix", "Work"])
    expect(print.stdout).toContain("region = eu-west-2\n")
    expect(print.stdout).not.toContain("us-east-1")
  })

  it("writes through a symbolic link inside the home folder, and refuses one that leads out of it", async () => {
    const home = sso.env.HOME!
    const link = path.join(home, ".aws", "config")
    const inside = path.join(home, "dotfiles", "aws-config")
    fs.mkdirSync(path.dirname(inside))
    fs.renameSync(link, inside)
    fs.symlinkSync(inside, link)
    const through = await runMairu(sso, ["profiles", "--prefix", "home", "contoso"])
    expect(through.stderr).toContain("contoso: 10 added, 10 removed, 0 kept.")
    expect(through.stderr).toContain(`Wrote 10 profiles to ${link} (a link to ${inside})`)
    expect(through.code).toBe(0)
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true)
    expect(profilesIn(fs.readFileSync(inside, "utf8"))).toContain("home-contoso-222222222222-developer")

    const outside = path.join(sso.root, "outside", "config")
    fs.mkdirSync(path.dirname(outside))
    fs.writeFileSync(outside, "[profile theirs]\n")
    fs.rmSync(link)
    fs.symlinkSync(outside, link)
    const refused = await runMairu(sso, ["profiles", "contoso"])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain(
      `${link} leads through a symbolic link to ${outside}, outside your home folder ${home}`
    )
    expect(refused.stderr).toContain(`AWS_CONFIG_FILE=${outside} mairu profiles`)
    expect(fs.readFileSync(outside, "utf8")).toBe("[profile theirs]\n")
  })

  it("--remove SERVER takes out only that server's profiles; a file mairu created is left empty", async () => {
    const home = sso.env.HOME!
    const link = path.join(home, ".aws", "config")
    const inside = path.join(home, "dotfiles", "aws-config")
    fs.rmSync(link)
    fs.symlinkSync(inside, link)
    const other = await runMairu(sso, ["profiles", "--remove", "elsewhere"])
    expect(other.stderr).toContain("has no profiles from mairu for elsewhere: nothing to remove")
    expect(other.code).toBe(0)
    const result = await runMairu(sso, ["profiles", "--remove", "contoso"])
    expect(result.stderr).toContain(`Removed mairu's block (10 profiles) from ${link} (a link to ${inside}).`)
    expect(result.code).toBe(0)
    expect(fs.readFileSync(inside, "utf8")).toBe("")
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true)
  })
})
