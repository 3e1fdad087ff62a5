import * as crypto from "node:crypto"
import { randomToken } from "../../RandomToken.js"

/** An RFC 7636 verifier and its S256 challenge. */
export const makePkce = () => {
  const verifier = randomToken(32)
  const challenge = crypto.createHash("sha256").update(verifier).digest("base64url")
  return { verifier, challenge }
}

/**
 * The authorization URL of a code grant with PKCE S256: `endpoint` with the
 * standard parameters plus `extra` (AWS names its scope parameter `scopes`).
 */
export const authorizationUrl = (
  endpoint: string,
  params: {
    readonly clientId: string
    readonly redirectUri: string
    readonly state: string
    readonly challenge: string
    readonly extra: Readonly<Record<string, string>>
  }
): string => {
  const url = new URL(endpoint)
  url.searchParams.set("response_type", "code")
  url.searchParams.set("client_id", params.clientId)
  url.searchParams.set("redirect_uri", params.redirectUri)
  url.searchParams.set("state", params.state)
  url.searchParams.set("code_challenge", params.challenge)
  url.searchParams.set("code_challenge_method", "S256")
  for (const [key, value] of Object.entries(params.extra)) url.searchParams.set(key, value)
  return url.toString()
}
