import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { readOwnFile } from "../Files/FileOwner.js"
import { hasControlCharacters, visibleLine } from "../Terminal/Visible.js"

/** `.mairu.json` files, their digests and their trust records (a project's `auto` role, trusted per content), shared by TrustStoreLive, AutoConfigsLive and the fast exec path. */

export const AUTO_CONFIG_NAME = ".mairu.json"

/** The nearest `.mairu.json` from `cwd` upwards. */
export const nearestAutoConfig = (cwd: string): string | undefined => {
  let dir = path.resolve(cwd)
  for (;;) {
    const candidate = path.join(dir, AUTO_CONFIG_NAME)
    if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile() === true) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

const sha384 = (file: string, bytes: Buffer): Buffer =>
  crypto.createHash("sha384").update("v0.auto\0\0").update(file).update("\0\0").update(bytes).digest()

/** The original tool's scheme, so that existing approvals and printed commands carry over: base64url, 64 characters. */
export const autoDigest = (file: string, bytes: Buffer): string => sha384(file, bytes).toString("base64url")

export const trustRecordName = (file: string): string =>
  `trust.${crypto.createHash("sha256").update("v0.trust_path\0\0").update(file).digest("base64url")}.json`

export const trustRecordPath = (trustDir: string, file: string) => path.join(trustDir, trustRecordName(file))

/**
 * The digest as a trust record holds it. The original Mairu writes
 * `{"type": "Sha384", "hash": <standard base64, padded>}`; mairu before it
 * matched that format wrote the base64url string itself.
 */
const recordedDigest = (digest: unknown): Buffer | undefined => {
  if (typeof digest === "string") return Buffer.from(digest, "base64url")
  if (typeof digest !== "object" || digest === null) return undefined
  const { hash, type } = digest as { readonly type?: unknown; readonly hash?: unknown }
  return type === "Sha384" && typeof hash === "string" ? Buffer.from(hash, "base64") : undefined
}

/** The error for a `.mairu.json` whose `field` holds control characters. */
export const controlCharacterMessage = (file: string, field: string) =>
  `${
    visibleLine(file)
  } is not a valid ${AUTO_CONFIG_NAME}: ${field} holds control characters, which could disguise what it asks for; ` +
  `mairu does not use it. Review the file and remove them.`

/** True when the trust record of `file` approves exactly these bytes. */
export const isTrustedFile = (trustDir: string, file: string, bytes: Buffer): boolean => {
  try {
    const record = JSON.parse(fs.readFileSync(trustRecordPath(trustDir, file), "utf8")) as {
      readonly trust?: unknown
      readonly digest?: unknown
    }
    const recorded = recordedDigest(record.digest)
    const actual = sha384(file, bytes)
    return record.trust === true && recorded !== undefined && recorded.length === actual.length &&
      crypto.timingSafeEqual(recorded, actual)
  } catch {
    return false
  }
}

/** A time as the original Mairu writes it: RFC 3339 in UTC, without a fraction when it is zero. */
export const originalTimestamp = (date: Date): string => date.toISOString().replace(/\.000Z$/, "Z")

/** The `.mairu.json` fields a trust record keeps, in the original Mairu's shape. */
export interface TrustedContent {
  readonly server: string
  readonly role: string
  readonly mode?: string | null | undefined
  readonly assume_role?: {
    readonly role_arn: string
    readonly duration_seconds?: number | undefined
    readonly external_id?: string | undefined
    readonly role_session_name?: string | undefined
  } | undefined
}

/**
 * A trust record as the original Mairu writes it (pretty JSON and a newline), so
 * that either tool accepts the approvals of the other.
 */
export const trustRecordText = (file: string, bytes: Buffer, content: TrustedContent, now: Date): string => {
  const record = {
    path: file,
    trust: true,
    digest: { type: "Sha384", hash: sha384(file, bytes).toString("base64") },
    content: originalContent(content),
    updated_at: originalTimestamp(now)
  }
  return JSON.stringify(record, null, 2) + "\n"
}

/**
 * A `.mairu.json`'s fields as the original Mairu writes them (in its trust records and
 * `show`): `mode` always present, `null` when unset; of `assume_role`, the set fields only.
 */
export const originalContent = ({ assume_role: chain, mode, role, server }: TrustedContent) => ({
  server,
  role,
  mode: mode ?? null,
  ...(chain === undefined ? {} : {
    assume_role: {
      role_arn: chain.role_arn,
      ...(chain.duration_seconds === undefined ? {} : { duration_seconds: chain.duration_seconds }),
      ...(chain.external_id === undefined ? {} : { external_id: chain.external_id }),
      ...(chain.role_session_name === undefined ? {} : { role_session_name: chain.role_session_name })
    }
  })
})

/**
 * The bytes of a `.mairu.json`, or why it may not be used: one that another user
 * owns is never used (anyone can leave one in a shared folder such as /tmp), whatever
 * trust record or digest names it.
 */
export const readAutoFile = (
  file: string
): { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly message: string } => {
  const read = readOwnFile(file, { notWritableByOthers: false })
  if (read.ok) return { ok: true, bytes: read.bytes }
  return {
    ok: false,
    message: read.foreign
      ? `${
        visibleLine(file)
      } is not used: ${read.reason}. mairu never uses a ${AUTO_CONFIG_NAME} that another user owns; ` +
        `work in a folder of your own, or name the role: mairu exec --server SERVER ROLE …`
      : `cannot read ${visibleLine(file)}: ${visibleLine(read.reason)}`
  }
}

/** The path of the first key or string in `json` that holds a control, bidirectional or invisible character, if any. */
export const controlCharacterField = (json: unknown, at: ReadonlyArray<string> = []): string | undefined => {
  const name = () => (at.length === 0 ? "the file" : `"${at.join(".")}"`)
  if (typeof json === "string") return hasControlCharacters(json) ? name() : undefined
  if (typeof json !== "object" || json === null || at.length > 16) return undefined
  for (const [key, value] of Object.entries(json)) {
    if (hasControlCharacters(key)) return `a key in ${name()}`
    const found = controlCharacterField(value, [...at, key])
    if (found !== undefined) return found
  }
  return undefined
}
