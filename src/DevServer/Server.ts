// The server's routes: the OAuth 2.0 authorization server, the Mairu API, the STS, the AWS IAM
// Identity Center emulator and the admin controls the tests use, all on one port.
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { makeAdmin } from "./Admin.js"
import { makeFederation } from "./Federation.js"
import { sendJson } from "./Http.js"
import { applyFault, makeMairuApi } from "./MairuApi.js"
import { makeOidc } from "./Oidc.js"
import type { DevServerOptions } from "./Options.js"
import { makeSsoOidc } from "./SsoOidc.js"
import { makeSsoPortal } from "./SsoPortal.js"
import { DevState } from "./State.js"
import { makeSts } from "./Sts.js"

/** An HTTP server listening on 127.0.0.1:`port` (0: a free port), with no routes yet. */
export const listen = (port: number) =>
  new Promise<http.Server>((resolve, reject) => {
    const server = http.createServer()
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject)
      resolve(server)
    })
  })

/** The URL that `server` answers at, with its trailing slash. */
export const serverUrl = (server: http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`

/** Serves every route on `server`, which listens at `url`. */
export const serve = async (server: http.Server, url: string, options: DevServerOptions) => {
  const state = new DevState(options.credentialTtl)
  const oidc = await makeOidc({
    issuer: url.replace(/\/$/, ""),
    autoApprove: options.autoApprove,
    accessTokenTtl: options.accessTokenTtl,
    refreshTokenTtl: options.refreshTokenTtl
  }, state)
  const api = makeMairuApi(state, oidc)
  const sts = makeSts(state)
  const ssoOidc = makeSsoOidc({
    autoApprove: options.autoApprove,
    clientTtl: options.ssoClientTtl,
    accessTokenTtl: options.ssoAccessTokenTtl
  }, state)
  const ssoPortal = makeSsoPortal(state, ssoOidc)
  const admin = makeAdmin(state, oidc, ssoOidc)
  const federation = makeFederation(state)
  const oauth = oidc.provider.callback()

  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
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
  })
}
