import * as crypto from "node:crypto"
import type * as http from "node:http"
import type { Configuration, default as Provider, KoaContextWithOIDC } from "oidc-provider"
import { readBody, sendText } from "./Http.js"
import type { DevState } from "./State.js"

export const CLIENT_ID = "mairu-dev"
export const ACCOUNT_ID = "alice"

/** How often a device-grant client may poll; short so that tests and the demo do not wait. */
const DEVICE_POLL_INTERVAL_S = 1

export interface OidcOptions {
  readonly issuer: string
  readonly autoApprove: boolean
  readonly accessTokenTtl: number
  readonly refreshTokenTtl: number
}

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family: sans-serif; margin: 3em"><h1>${title}</h1>${body}</body></html>`

/**
 * oidc-provider, loaded only as the server starts, once its notices are silenced: they are meant for
 * deployments (Node 20 is "unsupported", the keys and the store are for development only) and are
 * harmless for a local server that keeps nothing. Its notices go to stdout, which carries the start-up line.
 */
const loadProvider = async (): Promise<typeof Provider> => {
  for (const level of ["warn", "info"] as const) {
    const write = console[level]
    console[level] = (...args: Array<unknown>) => {
      if (!/oidc-provider (WARNING|NOTICE):/.test(String(args[0]))) write(...args)
    }
  }
  process.removeAllListeners("warning")
  process.on("warning", (warning) => {
    if (!/oidc-provider|punycode/i.test(warning.message)) process.stderr.write(`${warning.name}: ${warning.message}\n`)
  })
  return (await import("oidc-provider")).default
}

/** The OAuth 2.0 authorization server (code grant with PKCE, device grant, refresh tokens). */
export const makeOidc = async (options: OidcOptions, state: DevState) => {
  const Provider = await loadProvider()
  const configuration: Configuration = {
    clients: [{
      client_id: CLIENT_ID,
      token_endpoint_auth_method: "none",
      application_type: "native",
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      response_types: ["code"],
      redirect_uris: ["http://127.0.0.1/oauth2callback", "http://localhost/oauth2callback"]
    }],
    claims: { openid: ["sub"], profile: ["name"] },
    scopes: ["openid", "offline_access", "profile"],
    cookies: { keys: [crypto.randomBytes(32).toString("base64url")] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      deviceFlow: {
        enabled: true,
        successSource: async (ctx) => {
          ctx.body = page("Device approved", "<p id=\"message\">You can return to your terminal.</p>")
        }
      }
    },
    routes: {
      authorization: "/oauth/authorize",
      token: "/oauth/token",
      device_authorization: "/oauth/device",
      code_verification: "/oauth/device/verify",
      revocation: "/oauth/revoke",
      jwks: "/oauth/jwks"
    },
    ttl: {
      AccessToken: options.accessTokenTtl,
      RefreshToken: options.refreshTokenTtl,
      AuthorizationCode: 60,
      DeviceCode: 600,
      Grant: options.refreshTokenTtl,
      Interaction: 600,
      Session: options.refreshTokenTtl
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: "Alice" }) }),
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = "html"
      ctx.body = page("Error", `<p id="message">${String(out.error)}: ${String(out.error_description ?? "")}</p>`)
    }
  }
  const provider = new Provider(options.issuer, configuration)

  provider.on("access_token.saved", (token) => state.recordSecret(token.jti))
  provider.on("refresh_token.saved", (token) => state.recordSecret(token.jti))
  provider.on("authorization_code.saved", (token) => state.recordSecret(token.jti))
  provider.on("device_code.saved", (token) => state.recordSecret(token.jti))
  provider.on("grant.success", (ctx: KoaContextWithOIDC) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? "")
    const key = grantType.endsWith("device_code") ? "device_code" : grantType
    state.stats.token[key] = (state.stats.token[key] ?? 0) + 1
  })
  provider.on("grant.revoked", (ctx: KoaContextWithOIDC) => {
    if (ctx.oidc.route === "revocation") state.stats.revocations++
  })
  provider.on("device_authorization.success", (_ctx: KoaContextWithOIDC, body: Record<string, unknown>) => {
    body.interval = DEVICE_POLL_INTERVAL_S
    if (options.autoApprove && typeof body.user_code === "string") void approveDevice(body.user_code)
  })

  const grantIds = new Set<string>()

  const makeGrant = async (scope: string) => {
    const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: CLIENT_ID })
    grant.addOIDCScope(scope)
    const grantId = await grant.save()
    grantIds.add(grantId)
    return grantId
  }

  /** Approves a pending device code as alice; false when there is no such code. */
  const approveDevice = async (userCode: string): Promise<boolean> => {
    const code = await provider.DeviceCode.findByUserCode(userCode.toUpperCase().replace(/\W/g, ""))
    if (code === undefined || code.accountId !== undefined) return false
    const scope = String((code.params as Record<string, unknown> | undefined)?.scope ?? "profile")
    Object.assign(code, { accountId: ACCOUNT_ID, grantId: await makeGrant(scope), scope })
    await code.save()
    return true
  }

  const finishInteraction = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const details = await provider.interactionDetails(req, res)
    const grantId = await makeGrant(String(details.params.scope ?? "profile"))
    await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT_ID }, consent: { grantId } }, {
      mergeWithLastSubmission: false
    })
  }

  /** The login and consent page: one button, or nothing at all with --auto-approve. */
  const interaction = async (req: http.IncomingMessage, res: http.ServerResponse, uid: string) => {
    if (req.method === "POST") {
      await readBody(req)
      return finishInteraction(req, res)
    }
    if (options.autoApprove) return finishInteraction(req, res)
    const details = await provider.interactionDetails(req, res)
    sendText(
      res,
      200,
      "text/html; charset=utf-8",
      page(
        "Sign in to the mairu dev server",
        `<p>Client <code>${String(details.params.client_id)}</code> asks for <code>${
          String(details.params.scope)
        }</code>.</p>` +
          `<form method="post" action="/interaction/${uid}"><button id="approve" type="submit">Approve</button></form>`
      )
    )
  }

  /** The access token behind a bearer value, if it is valid and its grant was not revoked. */
  const validAccessToken = async (value: string | undefined) => {
    if (value === undefined) return undefined
    const token = await provider.AccessToken.find(value)
    if (token === undefined || token.isExpired || token.grantId === undefined) return undefined
    const grant = await provider.Grant.find(token.grantId)
    return grant === undefined ? undefined : token
  }

  /** Every grant so far (and so every token issued under it) stops working. */
  const revokeAll = async () => {
    for (const grantId of grantIds) {
      const grant = await provider.Grant.find(grantId)
      await grant?.destroy()
    }
    grantIds.clear()
  }

  return { provider, approveDevice, interaction, validAccessToken, revokeAll }
}

export type Oidc = Awaited<ReturnType<typeof makeOidc>>
