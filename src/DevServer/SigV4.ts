import { Sha256 } from "@aws-crypto/sha256-js"
import { SignatureV4 } from "@smithy/signature-v4"
import * as crypto from "node:crypto"
import type * as http from "node:http"
import type { IssuedKey } from "./State.js"

export type SignatureCheck =
  | { readonly ok: true; readonly key: IssuedKey }
  | { readonly ok: false; readonly code: string; readonly message: string }

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/

const parseAmzDate = (value: string): Date | undefined => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  return m === null ? undefined : new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!))
}

const header = (req: http.IncomingMessage, name: string) => {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(",") : value
}

/**
 * Verifies a SigV4-signed request against the secret this server issued for its
 * access key: the signature is computed anew over the received method, path,
 * query, signed headers and body, and compared in constant time.
 */
export const verifySigV4 = async (
  req: http.IncomingMessage,
  body: Buffer,
  lookup: (accessKeyId: string) => IssuedKey | undefined
): Promise<SignatureCheck> => {
  const authorization = header(req, "authorization")
  if (authorization === undefined) {
    return { ok: false, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token" }
  }
  const parsed = AUTHORIZATION.exec(authorization)
  if (parsed === null) {
    return { ok: false, code: "IncompleteSignature", message: "The Authorization header is not a SigV4 signature" }
  }
  const [, accessKeyId, , region, service, signedHeaders, signature] = parsed
  const key = lookup(accessKeyId!)
  if (key === undefined) {
    return {
      ok: false,
      code: "InvalidClientTokenId",
      message: "The security token included in the request is invalid."
    }
  }
  if (header(req, "x-amz-security-token") !== key.sessionToken) {
    return {
      ok: false,
      code: "InvalidClientTokenId",
      message: "The security token included in the request is invalid."
    }
  }
  if (key.expiration.getTime() <= Date.now()) {
    return { ok: false, code: "ExpiredToken", message: "The security token included in the request is expired" }
  }
  const signingDate = parseAmzDate(header(req, "x-amz-date") ?? "")
  if (signingDate === undefined) {
    return { ok: false, code: "IncompleteSignature", message: "X-Amz-Date is missing or malformed" }
  }
  const url = new URL(req.url ?? "/", "http://placeholder")
  const headers: Record<string, string> = {}
  for (const name of signedHeaders!.split(";")) headers[name] = header(req, name) ?? ""
  const query: Record<string, string | Array<string>> = {}
  for (const [k, v] of url.searchParams) {
    const existing = query[k]
    query[k] = existing === undefined ? v : Array.isArray(existing) ? [...existing, v] : [existing, v]
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken: key.sessionToken },
    region: region!,
    service: service!,
    sha256: Sha256,
    applyChecksum: false
  })
  const signed = await signer.sign(
    {
      method: req.method ?? "POST",
      protocol: "http:",
      hostname: "placeholder",
      path: url.pathname,
      query,
      headers,
      body
    },
    { signingDate, signingRegion: region!, signingService: service! }
  )
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ""))?.[1] ?? ""
  const matches = expected.length === signature!.length &&
    crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature!))
  return matches
    ? { ok: true, key }
    : {
      ok: false,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided."
    }
}
