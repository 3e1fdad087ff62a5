import * as crypto from "node:crypto"

/** A random URL-safe string with `bytes` of entropy. */
export const randomToken = (bytes: number): string => crypto.randomBytes(bytes).toString("base64url")

/** An RFC 7636 verifier and its S256 challenge. */
export const makePkce = () => {
  const verifier = randomToken(32)
  const challenge = crypto.createHash("sha256").update(verifier).digest("base64url")
  return { verifier, challenge }
}
