import * as fs from "node:fs"
import * as path from "node:path"
import { expect } from "vitest"
import { type DevServer, type DevServerOptions, startDevServer } from "./devServer.js"
import {
  cleanupHome,
  collect,
  mairuBin,
  type MairuHome,
  makeHome,
  runMairu,
  startMairu,
  waitForStderr
} from "./mairu.js"
import { writeServerConfig } from "./servers.js"

/** Logs `home` in to the server `id` by device grant, approving the code through the dev server. */
export const loginByDevice = async (home: MairuHome, server: DevServer, id = "local") => {
  const child = startMairu(home, ["login", "--oauth-grant-type", "device_code", id])
  child.stdin.end()
  const done = collect(child)
  const [, userCode] = await waitForStderr(child, /confirm the code: (\S+)/)
  await server.approveDevice(userCode!)
  const result = await done
  expect(result.stderr).toContain(`Logged in to ${id}`)
  expect(result.code).toBe(0)
  return result
}

/**
 * Writes an AWS config whose profile `name` runs mairu as its credential_process,
 * with the test's mairu environment spelled out so any AWS tool can run it.
 */
export const writeAwsConfig = (home: MairuHome, profiles: Record<string, string>) => {
  const envPrefix = ["XDG_CONFIG_HOME", "XDG_STATE_HOME", "MAIRU_AGENT_SOCK", "HOME"]
    .map((key) => `${key}=${home.env[key]}`)
    .join(" ")
  const body = Object.entries(profiles)
    .map(([name, args]) =>
      `[profile ${name}]\nregion = us-east-1\n` +
      `credential_process = /usr/bin/env ${envPrefix} ${process.execPath} ${mairuBin} credential-process ${args}\n`
    )
    .join("\n")
  const file = path.join(home.root, "aws-config")
  fs.writeFileSync(file, body)
  return file
}

/** A clean environment for the AWS CLI and boto3 (this machine sets AWS_CA_BUNDLE and other things). */
export const awsToolEnv = (home: MairuHome, configFile: string, profile: string): Record<string, string> => ({
  PATH: "/usr/bin:/bin",
  HOME: home.env.HOME!,
  AWS_CONFIG_FILE: configFile,
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_PROFILE: profile,
  AWS_EC2_METADATA_DISABLED: "true"
})

/** A running dev server and a mairu home configured for it (server id `local`), logged in unless told not to. */
export const setUpLocal = async (
  options: {
    readonly server?: DevServerOptions
    /** The home's environment, which the agent takes as it starts; a function of the server for its endpoints. */
    readonly env?: Record<string, string> | ((server: DevServer) => Record<string, string>)
    readonly login?: boolean
  } = {}
) => {
  const server = await startDevServer(options.server)
  const home = makeHome(typeof options.env === "function" ? options.env(server) : options.env)
  writeServerConfig(home.configDir, server)
  if (options.login !== false) await loginByDevice(home, server)
  return { server, home }
}

export const tearDownLocal = async ({ home, server }: { readonly home: MairuHome; readonly server: DevServer }) => {
  await cleanupHome(home)
  await server.stop()
}

/** A home whose agent finds the dev server's AWS SSO emulator and STS through the standard endpoint variables. */
export const makeSsoHome = (server: DevServer) =>
  makeHome({
    AWS_ENDPOINT_URL_SSO_OIDC: server.url,
    AWS_ENDPOINT_URL_SSO: server.url,
    AWS_ENDPOINT_URL_STS: server.stsEndpoint,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true"
  })

/** `mairu setup-sso ID` for the AWS SSO emulator of `server`. */
export const setUpSso = (home: MairuHome, server: DevServer, id = "contoso") =>
  runMairu(home, ["setup-sso", id, "--region", "us-east-1", "--start-url", `${server.url}start`])
