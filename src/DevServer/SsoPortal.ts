import type * as http from "node:http"
import { sendJson, sendText } from "./Http.js"
import { applyFault } from "./MairuApi.js"
import { awsError, type SsoOidc } from "./SsoOidc.js"
import type { DevState } from "./State.js"

/** The accounts and roles the emulated IAM Identity Center assigns to alice. */
export const SSO_ACCOUNTS = [
  { accountId: "111111111111", accountName: "Production", roles: ["AdministratorAccess", "ReadOnly"] },
  { accountId: "222222222222", accountName: "Staging", roles: ["AdministratorAccess", "ReadOnly", "Developer"] },
  { accountId: "333333333333", accountName: "Development", roles: ["Developer", "ReadOnly"] },
  { accountId: "444444444444", accountName: "Sandbox", roles: ["AdministratorAccess"] },
  { accountId: "555555555555", accountName: "Audit", roles: ["ReadOnly", "SecurityAudit"] }
]

/** Pages are small so that clients must follow nextToken. */
const PAGE_SIZE = 2

const page = <A>(items: ReadonlyArray<A>, url: URL) => {
  const start = Number(url.searchParams.get("next_token") ?? "0")
  const size = Math.min(Number(url.searchParams.get("max_result") ?? PAGE_SIZE) || PAGE_SIZE, PAGE_SIZE)
  const slice = items.slice(start, start + size)
  const next = start + size < items.length ? String(start + size) : undefined
  return { slice, ...(next === undefined ? {} : { nextToken: next }) }
}

/** An emulation of the AWS SSO portal API (GetRoleCredentials, ListAccounts, ListAccountRoles, Logout). */
export const makeSsoPortal =
  (state: DevState, oidc: SsoOidc) => (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    if (applyFault(state.faults.sso, res)) return
    const token = req.headers["x-amz-sso_bearer_token"]
    const bearer = Array.isArray(token) ? token[0] : token
    if (!oidc.validAccessToken(bearer)) {
      return awsError(res, 401, "UnauthorizedException", "Session token not found or invalid")
    }
    switch (`${req.method} ${url.pathname}`) {
      case "GET /federation/credentials": {
        const accountId = url.searchParams.get("account_id") ?? ""
        const roleName = url.searchParams.get("role_name") ?? ""
        const account = SSO_ACCOUNTS.find((a) => a.accountId === accountId)
        if (account === undefined || !account.roles.includes(roleName)) {
          return awsError(res, 403, "ForbiddenException", "No access")
        }
        const key = state.issueKey(accountId, roleName, "alice", state.credentialTtlSeconds)
        const label = `${accountId}/${roleName}`
        state.stats.sso.getRoleCredentials[label] = (state.stats.sso.getRoleCredentials[label] ?? 0) + 1
        return sendJson(res, 200, {
          roleCredentials: {
            accessKeyId: key.accessKeyId,
            secretAccessKey: key.secretAccessKey,
            sessionToken: key.sessionToken,
            expiration: key.expiration.getTime()
          }
        })
      }
      case "GET /assignment/accounts": {
        const { slice, ...rest } = page(SSO_ACCOUNTS, url)
        return sendJson(res, 200, {
          accountList: slice.map((a) => ({
            accountId: a.accountId,
            accountName: a.accountName,
            emailAddress: `aws+${a.accountId}@example.com`
          })),
          ...rest
        })
      }
      case "GET /assignment/roles": {
        const accountId = url.searchParams.get("account_id") ?? ""
        const account = SSO_ACCOUNTS.find((a) => a.accountId === accountId)
        if (account === undefined) return awsError(res, 403, "ForbiddenException", "No access")
        const { slice, ...rest } = page(account.roles, url)
        return sendJson(res, 200, { roleList: slice.map((roleName) => ({ roleName, accountId })), ...rest })
      }
      case "POST /logout":
        oidc.logout(bearer!)
        return sendText(res, 200, "application/json", "{}")
      default:
        return awsError(res, 404, "ResourceNotFoundException", "no such operation")
    }
  }
