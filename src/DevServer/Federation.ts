import * as crypto from "node:crypto"
import type * as http from "node:http"
import { sendJson, sendText } from "./Http.js"
import type { DevState } from "./State.js"

/**
 * An emulation of the AWS federation endpoint: `getSigninToken` for session
 * credentials this server issued, then `login` answering with a page that names
 * the signed-in role.
 */
export const makeFederation = (state: DevState) => {
  const tokens = new Map<string, { readonly arn: string; readonly expiresAt: number }>()
  return (_req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const params = url.searchParams
    if (params.get("Action") === "getSigninToken") {
      let session: { sessionId?: unknown; sessionKey?: unknown; sessionToken?: unknown } = {}
      try {
        session = JSON.parse(params.get("Session") ?? "{}")
      } catch {
        return sendJson(res, 400, { message: "Session is not JSON" })
      }
      const key = typeof session.sessionId === "string" ? state.keys.get(session.sessionId) : undefined
      if (
        key === undefined || key.secretAccessKey !== session.sessionKey || key.sessionToken !== session.sessionToken ||
        key.expiration.getTime() <= Date.now()
      ) {
        return sendJson(res, 400, { message: "invalid session credentials" })
      }
      const token = crypto.randomBytes(32).toString("base64url")
      tokens.set(token, { arn: key.arn, expiresAt: Date.now() + 15 * 60 * 1000 })
      state.recordSecret(token)
      return sendJson(res, 200, { SigninToken: token })
    }
    if (params.get("Action") === "login") {
      const signin = tokens.get(params.get("SigninToken") ?? "")
      if (signin === undefined || signin.expiresAt <= Date.now()) {
        return sendText(res, 400, "text/html", "<p id=\"message\">invalid or expired sign-in token</p>")
      }
      return sendText(
        res,
        200,
        "text/html; charset=utf-8",
        `<!doctype html><title>AWS console (mairu emulator)</title><h1>AWS Management Console</h1>` +
          `<p>Signed in as <code id="arn">${signin.arn}</code>, then to ${params.get("Destination") ?? ""}</p>`
      )
    }
    return sendJson(res, 400, { message: "unknown Action" })
  }
}
