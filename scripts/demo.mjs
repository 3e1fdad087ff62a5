// The main job end to end: a local credential server, a temporary mairu home,
// a login, and an AWS SDK call signed with credentials from `mairu credential-process`.
//   npm run demo                  the server approves the login by itself
//   npm run demo -- --interactive you approve it in your browser
//   npm run demo -- --sso         the same through the AWS IAM Identity Center emulator
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts"
import { fromProcess } from "@aws-sdk/credential-providers"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const interactive = process.argv.includes("--interactive")
const sso = process.argv.includes("--sso")
// The AWS SDK's notice about future Node versions is not part of the demo.
process.removeAllListeners("warning")
process.on("warning", (warning) => {
  if (!`${warning.name} ${warning.message}`.includes("NodeVersionSupportWarning")) {
    console.error(`${warning.name}: ${warning.message}`)
  }
})
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const mairu = path.join(root, "dist", "mairu.cjs")
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-demo-"))
const env = {
  ...process.env,
  HOME: path.join(tmp, "home"),
  XDG_CONFIG_HOME: path.join(tmp, "config"),
  XDG_STATE_HOME: path.join(tmp, "state"),
  MAIRU_AGENT_SOCK: path.join(tmp, "run", "mairu-agent.sock")
}
delete env.XDG_RUNTIME_DIR

// Bold headings on a terminal only (and never with NO_COLOR), so that a pipe gets plain text.
const bold = process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === ""
const step = (text) => console.log(bold ? `\n\x1b[1m▶ ${text}\x1b[0m` : `\n▶ ${text}`)
const show = (command) => console.log(`$ ${command}`)

const startDevServer = () =>
  new Promise((resolve, reject) => {
    const args = [path.join(root, "dist", "devserver.js"), ...(interactive ? [] : ["--auto-approve"])]
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
    child.stdout.once("data", (line) => resolve({ child, ...JSON.parse(line.toString().split("\n")[0]) }))
    child.once("exit", (code) => reject(new Error(`the local credential server exited with ${code}`)))
  })

/** Runs mairu with the demo's environment, its messages shown as they come. */
const runMairu = (args, { redact = false } = {}) => {
  show(`mairu ${args.join(" ")}`)
  const result = spawnSync(process.execPath, [mairu, ...args], {
    env,
    stdio: ["inherit", "pipe", "inherit"],
    encoding: "utf8"
  })
  const shown = redact
    ? result.stdout.replace(/"(SecretAccessKey|SessionToken)":"[^"]+"/g, "\"$1\":\"(hidden)\"")
    : result.stdout
  if (shown) process.stdout.write(shown)
  if (result.status !== 0) throw new Error(`mairu ${args[0]} exited with ${result.status}`)
  return result.stdout
}

let server
try {
  step("Starting the bundled local credential server (OAuth 2.0 + Mairu API + STS) on 127.0.0.1")
  server = await startDevServer()
  console.log(`server: ${server.url}`)

  const serverId = sso ? "contoso" : "local"
  if (sso) {
    step(
      "Configuring an AWS IAM Identity Center instance (the local emulator, through the AWS SDK's endpoint variables)"
    )
    Object.assign(env, {
      AWS_ENDPOINT_URL_SSO_OIDC: server.url,
      AWS_ENDPOINT_URL_SSO: server.url,
      AWS_ENDPOINT_URL_STS: server.stsEndpoint
    })
    runMairu(["setup-sso", "contoso", "--region", "us-east-1", "--start-url", `${server.url}start`])
  } else {
    step("Configuring mairu in a temporary home")
    const serversDir = path.join(env.XDG_CONFIG_HOME, "mairu", "servers.d")
    fs.mkdirSync(serversDir, { recursive: true })
    const config = {
      id: "local",
      url: server.url,
      oauth: { client_id: server.clientId, device_grant: {}, code_grant: {} }
    }
    fs.writeFileSync(path.join(serversDir, "local.json"), JSON.stringify(config, null, 2))
    console.log(`${path.join(serversDir, "local.json")}:\n${JSON.stringify(config, null, 2)}`)
  }

  step(interactive ? "Logging in: open the URL below and approve" : "Logging in (the demo server approves by itself)")
  runMairu(interactive ? ["login", serverId] : ["login", "--oauth-grant-type", "device_code", serverId])
  runMairu(["list-sessions"])
  if (sso) runMairu(["list-roles", serverId])

  step("credential-process, as ~/.aws/config would run it")
  const role = sso ? "111111111111/AdministratorAccess" : "123456789012/Developer"
  runMairu(["credential-process", serverId, role], { redact: true })

  step("The AWS SDK for JS signs sts:GetCallerIdentity with those credentials; the local STS verifies the signature")
  const awsConfig = path.join(tmp, "aws-config")
  const envPrefix = ["HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "MAIRU_AGENT_SOCK"].map((k) => `${k}=${env[k]}`).join(
    " "
  )
  fs.writeFileSync(
    awsConfig,
    `[profile demo]\ncredential_process = /usr/bin/env ${envPrefix} ${process.execPath} ${mairu} credential-process ${serverId} ${role}\n`
  )
  console.log(
    fs.readFileSync(awsConfig, "utf8").replace(/\/usr\/bin\/env \S+ \S+ \S+ \S+ /, "").replace(
      process.execPath + " " + mairu,
      "mairu"
    )
  )
  const sts = new STSClient({
    region: "us-east-1",
    endpoint: server.stsEndpoint,
    credentials: fromProcess({ profile: "demo", configFilepath: awsConfig, filepath: "/dev/null" })
  })
  const identity = await sts.send(new GetCallerIdentityCommand({}))
  console.log(JSON.stringify({ UserId: identity.UserId, Account: identity.Account, Arn: identity.Arn }, null, 2))

  step("Nothing secret was written to disk; stopping the agent forgets everything")
  runMairu(["kill-agent"])
  console.log("\nDemo complete.")
} catch (error) {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`)
  spawnSync(process.execPath, [mairu, "kill-agent"], { env, stdio: "ignore" })
  process.exitCode = 1
} finally {
  server?.child.kill("SIGTERM")
  fs.rmSync(tmp, { recursive: true, force: true })
}
