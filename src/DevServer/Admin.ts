import type * as http from "node:http"
import { readBody, sendJson } from "./Http.js"
import type { Oidc } from "./Oidc.js"
import type { SsoOidc } from "./SsoOidc.js"
import { type DevState, FAULT_MODES, type FaultMode, type FaultTarget, type ListedRole } from "./State.js"

const readJson = async (req: http.IncomingMessage): Promise<Record<string, unknown>> => {
  try {
    return JSON.parse(((await readBody(req)) ?? Buffer.alloc(0)).toString("utf8") || "{}") as Record<string, unknown>
  } catch {
    return {}
  }
}

/**
 * Test controls under `/_admin/`: statistics, fault injection, the listed roles, the SSO device grant's pages,
 * revocation, device approval, issued secrets.
 */
export const makeAdmin =
  (state: DevState, oidc: Oidc, ssoOidc: SsoOidc) =>
  async (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    switch (`${req.method} ${path}`) {
      case "GET /_admin/stats":
        return sendJson(res, 200, state.stats)
      case "GET /_admin/secrets":
        return sendJson(res, 200, { secrets: [...state.secrets] })
      case "POST /_admin/faults": {
        const body = await readJson(req)
        for (const target of ["assumeRole", "roles", "token", "sso"] as Array<FaultTarget>) {
          const mode = body[target]
          if (mode === undefined) continue
          if (!FAULT_MODES.includes(mode as FaultMode)) {
            return sendJson(res, 400, { error: `unknown fault mode ${String(mode)} for ${target}` })
          }
          state.faults[target] = mode as FaultMode
        }
        return sendJson(res, 200, state.faults)
      }
      case "POST /_admin/roles": {
        const roles = (await readJson(req)).roles
        const valid = Array.isArray(roles) &&
          roles.every((role: unknown) =>
            typeof role === "object" && role !== null && typeof (role as { Name?: unknown }).Name === "string"
          )
        if (!valid) return sendJson(res, 400, { error: "the body must be {\"roles\": [{\"Name\": …}]}" })
        state.roles = roles as Array<ListedRole>
        return sendJson(res, 200, { roles: state.roles })
      }
      case "POST /_admin/sso/device-pages": {
        const body = await readJson(req)
        const pages = Object.fromEntries(
          ["verificationUri", "verificationUriComplete"].flatMap((field) =>
            typeof body[field] === "string" ? [[field, body[field]]] : []
          )
        )
        state.ssoDevicePages = pages
        return sendJson(res, 200, pages)
      }
      case "POST /_admin/revoke":
        await oidc.revokeAll()
        ssoOidc.revokeAll()
        return sendJson(res, 200, { revoked: true })
      case "POST /_admin/device/approve": {
        const body = await readJson(req)
        const approved = typeof body.user_code === "string" &&
          (ssoOidc.approveDevice(body.user_code) || await oidc.approveDevice(body.user_code))
        return sendJson(res, approved ? 200 : 404, { approved })
      }
      default:
        return sendJson(res, 404, { error: "not found" })
    }
  }
