// The bundled local credential server: an OAuth 2.0 authorization server
// (oidc-provider), the Mairu API and a local STS, on 127.0.0.1 only. Used by the
// tests and by `npm run demo`; it keeps everything in memory.
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { parseArgs } from "node:util"
import { makeAdmin } from "./Admin.js"
import { makeFederation } from "./Federation.js"
import { sendJson } from "./Http.js"
import { applyFault, makeMairuApi } from "./MairuApi.js"
import { CLIENT_ID, makeOidc } from "./Oidc.js"
import { makeSsoOidc } from "./SsoOidc.js"
import { makeSsoPortal } from "./SsoPortal.js"
import { DevState } from "./State.js"
import { makeSts } from "./Sts.js"

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "auto-approve": { type: "boolean", default: false },
    "credential-ttl": { type: "string", default: "3600" },
    "access-token-ttl": { type: "string", default: "3600" },
    "refresh-token-ttl": { type: "string", default: "86400" },
    "sso-client-ttl": { type: "string", default: String(90 * 24 * 3600) },
    "sso-access-token-ttl": { type: "string", default: "3600" }
  }
})

const seconds = (name: string, value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`devserver: --${name} must be a whole number of seconds\n`)
    process.exit(2)
  }
  return n
}

// oidc-provider warns about running outside its supported Node versions and in development mode.
process.removeAllListeners("warning")
process.on("warning", (warning) => {
  if (!/oidc-provider|punycode/i.test(warning.message)) process.stderr.write(`${warning.name}: ${warning.message}\n`)
})

// Its start-up notices about the in-memory adapter and development keys are what a test fixture wants.
const warn = console.warn
console.warn = (...args: Array<unknown>) => {
  if (!String(args[0]).startsWith("oidc-provider WARNING")) warn(...args)
}

const state = new DevState(seconds("credential-ttl", values["credential-ttl"]))
let handler: http.RequestListener = (_req, res) => sendJson(res, 503, { error: "starting" })
const server = http.createServer((req, res) => handler(req, res))

server.listen(Number(values.port), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}/`
  const oidc = makeOidc({
    issuer: `http://127.0.0.1:${port}`,
    autoApprove: values["auto-approve"],
    accessTokenTtl: seconds("access-token-ttl", values["access-token-ttl"]),
    refreshTokenTtl: seconds("refresh-token-ttl", values["refresh-token-ttl"])
  }, state)
  const api = makeMairuApi(state, oidc)
  const sts = makeSts(state)
  const ssoOidc = makeSsoOidc({
    autoApprove: values["auto-approve"],
    clientTtl: seconds("sso-client-ttl", values["sso-client-ttl"]),
    accessTokenTtl: seconds("sso-access-token-ttl", values["sso-access-token-ttl"])
  }, state)
  const ssoPortal = makeSsoPortal(state, ssoOidc)
  const admin = makeAdmin(state, oidc, ssoOidc)
  const federation = makeFederation(state)
  const oauth = oidc.provider.callback()

  handler = (req, res) => {
    const requestUrl = new URL(req.url ?? "/", url)
    const path = requestUrl.pathname
    const route = async () => {
      // AWS IAM Identity Center: sso-oidc, its browser pages, and the portal API.
      if (req.method === "POST" && path === "/client/register") return ssoOidc.registerClient(req, res)
      if (req.method === "POST" && path === "/device_authorization") {
        return ssoOidc.startDeviceAuthorization(req, res, url)
      }
      if (req.method === "POST" && path === "/token") return ssoOidc.createToken(req, res)
      if (req.method === "GET" && path === "/authorize") return ssoOidc.authorize(req, res, requestUrl)
      if (req.method === "GET" && path === "/sso/device") return ssoOidc.devicePage(req, res, requestUrl)
      if (/^\/(federation|assignment)\/|^\/logout$/.test(path)) return ssoPortal(req, res, requestUrl)
      if (path === "/assume-role" && req.method === "POST") return api.assumeRole(req, res)
      if (path === "/roles" && req.method === "GET") return api.roles(req, res)
      if (path === "/sts" || path === "/sts/") return sts(req, res)
      if (path === "/federation" && req.method === "GET") return federation(req, res, requestUrl)
      if (path.startsWith("/_admin/")) return admin(req, res, path)
      const interaction = /^\/interaction\/([\w-]+)$/.exec(path)
      if (interaction !== null) return oidc.interaction(req, res, interaction[1]!)
      if (path === "/oauth/token" && applyFault(state.faults.token, res)) return
      return oauth(req, res)
    }
    route().catch((error: unknown) => {
      process.stderr.write(
        `devserver: ${req.method} ${path} failed: ${error instanceof Error ? error.message : String(error)}\n`
      )
      if (!res.headersSent) sendJson(res, 500, { error: "server_error" })
    })
  }
  process.stdout.write(JSON.stringify({ url, clientId: CLIENT_ID, stsEndpoint: `${url}sts/` }) + "\n")
})

const stop = () => {
  server.close()
  server.closeAllConnections()
  process.exit(0)
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
