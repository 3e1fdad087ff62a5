import * as crypto from "node:crypto"
import type * as http from "node:http"
import { readBody, sendJson, sendText } from "./Http.js"
import type { DevState } from "./State.js"

/** An emulation of AWS `sso-oidc` (restJson1) as the AWS SDK clients speak it. */

interface SsoClient {
  readonly clientSecret: string
  readonly expiresAt: number
  readonly grantTypes: ReadonlyArray<string>
}

interface DeviceAuthorization {
  readonly clientId: string
  readonly userCode: string
  readonly expiresAt: number
  approved: boolean
}

interface AuthorizationCode {
  readonly clientId: string
  readonly redirectUri: string
  readonly challenge: string
  readonly expiresAt: number
}

interface IssuedToken {
  readonly expiresAt: number
}

export interface SsoOidcOptions {
  readonly autoApprove: boolean
  readonly clientTtl: number
  readonly accessTokenTtl: number
}

const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
const random = (bytes: number) => crypto.randomBytes(bytes).toString("base64url")

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family: sans-serif; margin: 3em"><h1>${title}</h1>${body}</body></html>`

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** An AWS error: the type in `x-amzn-errortype`, the OAuth fields in the body. */
export const awsError = (res: http.ServerResponse, status: number, type: string, description: string) => {
  res.setHeader("x-amzn-errortype", type)
  sendJson(res, status, {
    error: type.replace(/Exception$/, "").replace(/^./, (c) => c.toLowerCase()),
    error_description: description,
    message: description
  })
}

export const makeSsoOidc = (options: SsoOidcOptions, state: DevState) => {
  const clients = new Map<string, SsoClient>()
  const devices = new Map<string, DeviceAuthorization>()
  const codes = new Map<string, AuthorizationCode>()
  const accessTokens = new Map<string, IssuedToken>()
  const refreshTokens = new Map<string, { readonly clientId: string }>()
  const stats = state.stats.sso

  const issueTokens = (clientId: string) => {
    const client = clients.get(clientId)!
    const accessToken = "aoa" + random(32)
    accessTokens.set(accessToken, { expiresAt: Date.now() + options.accessTokenTtl * 1000 })
    state.recordSecret(accessToken)
    const body: Record<string, unknown> = { accessToken, tokenType: "Bearer", expiresIn: options.accessTokenTtl }
    if (client.grantTypes.includes("refresh_token")) {
      const refreshToken = "aor" + random(32)
      refreshTokens.set(refreshToken, { clientId })
      state.recordSecret(refreshToken)
      body.refreshToken = refreshToken
    }
    return body
  }

  const validClient = (res: http.ServerResponse, clientId: unknown, clientSecret: unknown): string | undefined => {
    const client = typeof clientId === "string" ? clients.get(clientId) : undefined
    if (client === undefined || client.clientSecret !== clientSecret) {
      awsError(res, 401, "InvalidClientException", "unknown client or wrong secret")
      return undefined
    }
    if (client.expiresAt <= Date.now()) {
      awsError(res, 401, "InvalidClientException", "the client registration has expired")
      return undefined
    }
    return clientId as string
  }

  const json = async (req: http.IncomingMessage): Promise<Record<string, unknown>> => {
    try {
      return JSON.parse(((await readBody(req)) ?? Buffer.alloc(0)).toString("utf8") || "{}") as Record<string, unknown>
    } catch {
      return {}
    }
  }

  const registerClient = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = await json(req)
    const grantTypes = Array.isArray(body.grantTypes) ? body.grantTypes.map(String) : []
    if (grantTypes.includes("authorization_code") && grantTypes.includes(DEVICE_CODE_GRANT)) {
      return awsError(res, 500, "InternalServerException", "a registration cannot mix the code and device grants")
    }
    if (typeof body.clientName !== "string" || body.clientType !== "public") {
      return awsError(res, 400, "InvalidRequestException", "clientName and clientType public are required")
    }
    const clientId = random(16)
    const clientSecret = random(48)
    const now = Math.floor(Date.now() / 1000)
    clients.set(clientId, { clientSecret, expiresAt: (now + options.clientTtl) * 1000, grantTypes })
    state.recordSecret(clientSecret)
    stats.registerClient++
    sendJson(res, 200, {
      clientId,
      clientSecret,
      clientIdIssuedAt: now,
      clientSecretExpiresAt: now + options.clientTtl
    })
  }

  const startDeviceAuthorization = async (req: http.IncomingMessage, res: http.ServerResponse, origin: string) => {
    const body = await json(req)
    const clientId = validClient(res, body.clientId, body.clientSecret)
    if (clientId === undefined) return
    const deviceCode = random(32)
    const userCode = `${random(3).toUpperCase().replace(/[^A-Z0-9]/g, "X").slice(0, 4)}-${
      random(3).toUpperCase().replace(/[^A-Z0-9]/g, "Y").slice(0, 4)
    }`
    devices.set(deviceCode, { clientId, userCode, expiresAt: Date.now() + 600_000, approved: options.autoApprove })
    state.recordSecret(deviceCode)
    sendJson(res, 200, {
      deviceCode,
      userCode,
      verificationUri: `${origin}sso/device`,
      verificationUriComplete: `${origin}sso/device?user_code=${encodeURIComponent(userCode)}`,
      ...state.ssoDevicePages,
      expiresIn: 600,
      interval: 1
    })
  }

  const createToken = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = await json(req)
    const clientId = validClient(res, body.clientId, body.clientSecret)
    if (clientId === undefined) return
    const grantType = String(body.grantType ?? "")
    const count = (key: string) => (stats.createToken[key] = (stats.createToken[key] ?? 0) + 1)
    if (grantType === DEVICE_CODE_GRANT) {
      const device = devices.get(String(body.deviceCode))
      if (device === undefined || device.clientId !== clientId) {
        return awsError(res, 400, "InvalidGrantException", "unknown device code")
      }
      if (device.expiresAt <= Date.now()) {
        return awsError(res, 400, "ExpiredTokenException", "the device code has expired")
      }
      if (!device.approved) return awsError(res, 400, "AuthorizationPendingException", "the user has not approved yet")
      devices.delete(String(body.deviceCode))
      count("device_code")
      return sendJson(res, 200, issueTokens(clientId))
    }
    if (grantType === "authorization_code") {
      const code = codes.get(String(body.code))
      codes.delete(String(body.code))
      if (code === undefined || code.clientId !== clientId || code.expiresAt <= Date.now()) {
        return awsError(res, 400, "InvalidGrantException", "unknown, used or expired code")
      }
      if (code.redirectUri !== body.redirectUri) {
        return awsError(res, 400, "InvalidGrantException", "redirectUri differs")
      }
      const verifier = String(body.codeVerifier ?? "")
      if (crypto.createHash("sha256").update(verifier).digest("base64url") !== code.challenge) {
        return awsError(res, 400, "InvalidGrantException", "the code verifier does not match the challenge")
      }
      count("authorization_code")
      return sendJson(res, 200, issueTokens(clientId))
    }
    if (grantType === "refresh_token") {
      const token = String(body.refreshToken ?? "")
      const refresh = refreshTokens.get(token)
      if (refresh === undefined || refresh.clientId !== clientId) {
        return awsError(res, 400, "InvalidGrantException", "unknown or revoked refresh token")
      }
      refreshTokens.delete(token)
      count("refresh_token")
      return sendJson(res, 200, issueTokens(clientId))
    }
    awsError(res, 400, "UnsupportedGrantTypeException", `unsupported grant type ${grantType}`)
  }

  /** The browser side of the code grant: an approval page, then a redirect with the code. */
  const authorize = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const params = url.searchParams
    const clientId = params.get("client_id") ?? ""
    const client = clients.get(clientId)
    const redirectUri = params.get("redirect_uri") ?? ""
    let redirect: URL | undefined
    try {
      redirect = new URL(redirectUri)
    } catch {
      redirect = undefined
    }
    if (client === undefined || !client.grantTypes.includes("authorization_code")) {
      return sendText(res, 400, "text/html", page("Error", "<p id=\"message\">unknown client</p>"))
    }
    if (
      redirect === undefined || redirect.protocol !== "http:" || redirect.hostname !== "127.0.0.1" ||
      redirect.pathname !== "/oauth/callback"
    ) {
      return sendText(
        res,
        400,
        "text/html",
        page("Error", "<p id=\"message\">redirect_uri must be http://127.0.0.1:PORT/oauth/callback</p>")
      )
    }
    if (params.get("code_challenge_method") !== "S256" || (params.get("code_challenge") ?? "") === "") {
      return sendText(res, 400, "text/html", page("Error", "<p id=\"message\">PKCE with S256 is required</p>"))
    }
    const finish = () => {
      const code = random(24)
      codes.set(code, {
        clientId,
        redirectUri,
        challenge: params.get("code_challenge")!,
        expiresAt: Date.now() + 300_000
      })
      state.recordSecret(code)
      redirect!.searchParams.set("code", code)
      const stateParam = params.get("state")
      if (stateParam !== null) redirect!.searchParams.set("state", stateParam)
      res.writeHead(302, { location: redirect!.toString() })
      res.end()
    }
    if (options.autoApprove || (req.method === "GET" && params.get("approved") === "yes")) return finish()
    const approveUrl = new URL(url.toString())
    approveUrl.searchParams.set("approved", "yes")
    sendText(
      res,
      200,
      "text/html; charset=utf-8",
      page(
        "AWS access portal (mairu emulator)",
        `<p>Allow <code>${escapeHtml(clientId)}</code> to access your AWS accounts (scopes ${
          escapeHtml(params.get("scopes") ?? "")
        })?</p>` +
          `<a id="approve" href="${escapeHtml(approveUrl.pathname + approveUrl.search)}"><button>Approve</button></a>`
      )
    )
  }

  /** Approves a pending device code by its user code; false when there is none. */
  const approveDevice = (userCode: string) => {
    for (const device of devices.values()) {
      if (device.userCode === userCode.toUpperCase() && !device.approved) {
        device.approved = true
        return true
      }
    }
    return false
  }

  const devicePage = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const userCode = url.searchParams.get("user_code") ?? ""
    if (url.searchParams.get("approved") === "yes") {
      const ok = approveDevice(userCode)
      return sendText(
        res,
        ok ? 200 : 400,
        "text/html",
        page(
          ok ? "Approved" : "Error",
          `<p id="message">${ok ? "You can return to your terminal." : "unknown or used code"}</p>`
        )
      )
    }
    void req
    sendText(
      res,
      200,
      "text/html; charset=utf-8",
      page(
        "Approve device",
        `<p>Code <code>${escapeHtml(userCode)}</code></p>` +
          `<a id="approve" href="/sso/device?user_code=${
            encodeURIComponent(userCode)
          }&approved=yes"><button>Approve</button></a>`
      )
    )
  }

  /** The bearer's access token is valid now. */
  const validAccessToken = (token: string | undefined) => {
    const issued = token === undefined ? undefined : accessTokens.get(token)
    return issued !== undefined && issued.expiresAt > Date.now()
  }

  const revokeAll = () => {
    accessTokens.clear()
    refreshTokens.clear()
  }

  const logout = (token: string) => accessTokens.delete(token)

  return {
    registerClient,
    startDeviceAuthorization,
    createToken,
    authorize,
    devicePage,
    approveDevice,
    validAccessToken,
    revokeAll,
    logout
  }
}

export type SsoOidc = ReturnType<typeof makeSsoOidc>
