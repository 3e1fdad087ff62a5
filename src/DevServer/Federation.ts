import * as crypto from "node:crypto"
import type * as http from "node:http"
import { sendJson, sendText } from "./Http.js"
import type { DevState } from "./State.js"

const CONSOLE_HOSTS = ["console.aws.amazon.com", "console.amazonaws.cn", "console.amazonaws-us-gov.com"]

/** Whether AWS would send a signed-in browser there: an https page of an AWS console. */
const isConsoleUrl = (text: string) => {
  try {
    const url = new URL(text)
    return url.protocol === "https:" &&
      CONSOLE_HOSTS.some((host) => url.hostname === host || url.hostname.endsWith(`.${host}`))
  } catch {
    return false
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * An emulation of the AWS federation endpoint: `getSigninToken` for session
 * credentials this server issued (`SessionDuration` within 900 to 43200 seconds),
 * then `login` to a console `Destination`, answering with a page that names the
 * signed-in role, the session's length and the destination.
 */
export const makeFederation = (state: DevState) => {
  const tokens = new Map<string, { readonly arn: string; readonly expiresAt: number; readonly duration: number }>()
  return (_req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const params = url.searchParams
    if (params.get("Action") === "getSigninToken") {
      const durationText = params.get("SessionDuration") ?? "3600"
      const duration = /^\d+$/.test(durationText) ? Number(durationText) : NaN
      if (!(duration >= 900 && duration <= 43200)) {
        return sendJson(res, 400, { message: "SessionDuration must be an integer from 900 to 43200" })
      }
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
      tokens.set(token, { arn: key.arn, expiresAt: Date.now() + 15 * 60 * 1000, duration })
      state.recordSecret(token)
      return sendJson(res, 200, { SigninToken: token })
    }
    if (params.get("Action") === "login") {
      const signin = tokens.get(params.get("SigninToken") ?? "")
      if (signin === undefined || signin.expiresAt <= Date.now()) {
        return sendText(res, 400, "text/html", "<p id=\"message\">invalid or expired sign-in token</p>")
      }
      const destination = params.get("Destination") ?? ""
      if (!isConsoleUrl(destination)) {
        return sendText(res, 400, "text/html", "<p id=\"message\">Destination is not an AWS console page</p>")
      }
      return sendText(
        res,
        200,
        "text/html; charset=utf-8",
        `<!doctype html><title>AWS console (mairu emulator)</title><h1>AWS Management Console</h1>` +
          `<p>Signed in as <code id="arn">${signin.arn}</code> for <span id="duration">${signin.duration}</span> seconds, ` +
          `then to <code id="destination">${escapeHtml(destination)}</code></p>`
      )
    }
    return sendJson(res, 400, { message: "unknown Action" })
  }
}
