import type * as http from "node:http"
import { bearerToken, readBody, sendJson, sendText } from "./Http.js"
import type { Oidc } from "./Oidc.js"
import { type DevState, type FaultMode, rfc3339, splitRole } from "./State.js"

const ROLE_PATTERN = /^[A-Za-z0-9+=,.@_/-]{1,128}$/

/** Answers as the fault mode says; true when the request was handled that way. */
export const applyFault = (mode: FaultMode, res: http.ServerResponse): boolean => {
  switch (mode) {
    case "none":
      return false
    case "500":
      sendText(res, 500, "text/plain", "internal error (injected)")
      return true
    case "hang":
      return true
    case "invalid-json":
      sendText(res, 200, "application/json", "<html>this is not json</html>")
      return true
    case "401":
      sendJson(res, 401, { error: "unauthorized", message: "injected 401" })
      return true
    case "404":
      sendText(res, 404, "text/plain", "not found (injected)")
      return true
    case "405":
      sendText(res, 405, "text/plain", "method not allowed (injected)")
      return true
    case "no-expiration":
      // Handled by the endpoint, which leaves the key out of a valid answer.
      return false
  }
}

const unauthorized = (res: http.ServerResponse) =>
  sendJson(res, 401, { error: "unauthorized", message: "a valid bearer access token is required" })

/** The Mairu API: `POST /assume-role` (credentials for a role) and `GET /roles`, with the OAuth access token as bearer. */
export const makeMairuApi = (state: DevState, oidc: Oidc) => ({
  assumeRole: async (req: http.IncomingMessage, res: http.ServerResponse) => {
    state.stats.apiUserAgents.push(req.headers["user-agent"] ?? "")
    if (applyFault(state.faults.assumeRole, res)) return
    if ((await oidc.validAccessToken(bearerToken(req))) === undefined) return unauthorized(res)
    const body = await readBody(req)
    let role: unknown
    try {
      role = body === undefined ? undefined : (JSON.parse(body.toString("utf8")) as { Role?: unknown }).Role
    } catch {
      role = undefined
    }
    // Any role of the usual shape, and the ones a test listed whatever their shape (spaces, quotes).
    if (typeof role !== "string" || !(ROLE_PATTERN.test(role) || state.roles.some((r) => r.Name === role))) {
      return sendJson(res, 400, { error: "bad_request", message: "the body must be {\"Role\": \"a valid role name\"}" })
    }
    if (role.startsWith("forbidden")) {
      return sendJson(res, 403, { error: "forbidden", message: `role ${role} is not allowed` })
    }
    state.stats.assumeRole[role] = (state.stats.assumeRole[role] ?? 0) + 1
    const { account, roleName } = splitRole(role)
    const key = state.issueKey(account, roleName, "alice", state.credentialTtlSeconds)
    sendJson(res, 200, {
      Version: 1,
      AccessKeyId: key.accessKeyId,
      SecretAccessKey: key.secretAccessKey,
      SessionToken: key.sessionToken,
      ...(state.faults.assumeRole === "no-expiration" ? {} : { Expiration: rfc3339(key.expiration) }),
      Mairu: { NoCache: role.includes("nocache") }
    })
  },

  roles: async (req: http.IncomingMessage, res: http.ServerResponse) => {
    state.stats.apiUserAgents.push(req.headers["user-agent"] ?? "")
    if (applyFault(state.faults.roles, res)) return
    if ((await oidc.validAccessToken(bearerToken(req))) === undefined) return unauthorized(res)
    state.stats.roles++
    sendJson(res, 200, { Roles: state.roles })
  }
})
