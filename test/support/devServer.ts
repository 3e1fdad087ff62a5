import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { repoRoot } from "./mairu.js"

export interface DevServerStats {
  readonly assumeRole: Record<string, number>
  readonly roles: number
  readonly apiUserAgents: ReadonlyArray<string>
  readonly revocations: number
  readonly token: Record<string, number>
  readonly sts: Record<string, number>
  readonly assumeRoleCalls: ReadonlyArray<{
    roleArn: string
    roleSessionName: string
    externalId: string | null
    durationSeconds: number | null
  }>
  readonly sso: {
    readonly registerClient: number
    readonly createToken: Record<string, number>
    readonly getRoleCredentials: Record<string, number>
  }
}

export type FaultMode = "none" | "500" | "hang" | "invalid-json" | "401" | "404" | "405" | "no-expiration"

export interface DevServer {
  readonly url: string
  readonly clientId: string
  readonly stsEndpoint: string
  readonly process: ChildProcess
  /** Everything it has printed so far. */
  readonly output: () => { readonly stdout: string; readonly stderr: string }
  readonly stats: () => Promise<DevServerStats>
  readonly faults: (faults: Partial<Record<"assumeRole" | "roles" | "token" | "sso", FaultMode>>) => Promise<void>
  /** Replaces the roles the Mairu API lists (and accepts whatever their names). */
  readonly roles: (roles: ReadonlyArray<{ Name: string; Description?: string }>) => Promise<void>
  readonly revoke: () => Promise<void>
  readonly approveDevice: (userCode: string) => Promise<void>
  /** The pages the AWS SSO emulator's device grant sends from now on, over its own. */
  readonly ssoDevicePages: (
    pages: { readonly verificationUri?: string; readonly verificationUriComplete?: string }
  ) => Promise<void>
  readonly secrets: () => Promise<{ secrets: Array<string> }>
  readonly stop: () => Promise<void>
}

export interface DevServerOptions {
  readonly autoApprove?: boolean
  readonly credentialTtl?: number
  readonly accessTokenTtl?: number
  readonly refreshTokenTtl?: number
  readonly ssoClientTtl?: number
  readonly ssoAccessTokenTtl?: number
  readonly port?: number
  readonly writeServerFile?: string
  /** Its environment (where --write-server-file writes); this process's by default. */
  readonly env?: NodeJS.ProcessEnv
}

export const devServerBin = path.join(repoRoot, "dist", "devserver.js")

/** Starts `dist/devserver.js` as its own process and waits for its ready line. */
export const startDevServer = (options: DevServerOptions = {}): Promise<DevServer> => {
  const args = [devServerBin]
  if (options.autoApprove === true) args.push("--auto-approve")
  if (options.credentialTtl !== undefined) args.push("--credential-ttl", String(options.credentialTtl))
  if (options.accessTokenTtl !== undefined) args.push("--access-token-ttl", String(options.accessTokenTtl))
  if (options.refreshTokenTtl !== undefined) args.push("--refresh-token-ttl", String(options.refreshTokenTtl))
  if (options.ssoClientTtl !== undefined) args.push("--sso-client-ttl", String(options.ssoClientTtl))
  if (options.ssoAccessTokenTtl !== undefined) args.push("--sso-access-token-ttl", String(options.ssoAccessTokenTtl))
  if (options.port !== undefined) args.push("--port", String(options.port))
  if (options.writeServerFile !== undefined) args.push("--write-server-file", options.writeServerFile)
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the dev server did not start within 15 s: ${stderr}`))
    }, 15_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`the dev server exited with ${code}: ${stderr}`))
    })
    const onStdout = () => {
      if (!stdout.includes("\n")) return
      child.stdout.off("data", onStdout)
      clearTimeout(timer)
      const ready = JSON.parse(stdout.split("\n")[0]!) as {
        url: string
        clientId: string
        stsEndpoint: string
      }
      const admin = async (method: string, route: string, body?: unknown) => {
        const response = await fetch(`${ready.url}_admin/${route}`, {
          method,
          ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } })
        })
        if (!response.ok) throw new Error(`dev server ${route} answered ${response.status}`)
        return response.json() as Promise<unknown>
      }
      resolve({
        ...ready,
        process: child,
        output: () => ({ stdout, stderr }),
        stats: () => admin("GET", "stats") as Promise<DevServerStats>,
        faults: async (faults) => void (await admin("POST", "faults", faults)),
        roles: async (roles) => void (await admin("POST", "roles", { roles })),
        revoke: async () => void (await admin("POST", "revoke")),
        approveDevice: async (userCode) => void (await admin("POST", "device/approve", { user_code: userCode })),
        ssoDevicePages: async (pages) => void (await admin("POST", "sso/device-pages", pages)),
        secrets: () => admin("GET", "secrets") as Promise<{ secrets: Array<string> }>,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.removeAllListeners("exit")
            child.once("exit", () => done())
            child.kill("SIGTERM")
          })
      })
    }
    child.stdout.on("data", onStdout)
  })
}
