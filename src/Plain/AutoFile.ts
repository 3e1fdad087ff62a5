import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { readOwnFile } from "./FileOwner.js"
import { hasControlCharacters } from "./Visible.js"

/** `.mairu.json` files, their digests and their trust records (reference §2.2), shared by TrustStoreLive, AutoConfigsLive and the fast exec path. */

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

/** The original tool's scheme, so that existing approvals and printed commands carry over. */
export const autoDigest = (file: string, bytes: Buffer): string =>
  crypto.createHash("sha384").update("v0.auto\0\0").update(file).update("\0\0").update(bytes).digest("base64url")

export const trustRecordName = (file: string): string =>
  `trust.${crypto.createHash("sha256").update("v0.trust_path\0\0").update(file).digest("base64url")}.json`

export const trustRecordPath = (trustDir: string, file: string) => path.join(trustDir, trustRecordName(file))

/** The error for a `.mairu.json` whose `field` holds control characters. */
export const controlCharacterMessage = (file: string, field: string) =>
  `${file} is not a valid ${AUTO_CONFIG_NAME}: ${field} holds control characters, which could disguise what it asks for; ` +
  `mairu does not use it. Review the file and remove them.`

/** True when the trust record of `file` approves exactly these bytes. */
export const isTrustedFile = (trustDir: string, file: string, bytes: Buffer): boolean => {
  try {
    const record = JSON.parse(fs.readFileSync(trustRecordPath(trustDir, file), "utf8")) as {
      readonly path?: unknown
      readonly trust?: unknown
      readonly digest?: unknown
    }
    return record.trust === true && record.path === file && record.digest === autoDigest(file, bytes)
  } catch {
    return false
  }
}

/**
 * The bytes of a `.mairu.json`, or why it may not be used: one that another user
 * owns is never used (anyone can leave one in a shared folder such as /tmp), whatever
 * trust record or digest names it.
 */
export const readAutoFile = (file: string): { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly message: string } => {
  const read = readOwnFile(file, { notWritableByOthers: false })
  if (read.ok) return { ok: true, bytes: read.bytes }
  return {
    ok: false,
    message: read.foreign
      ? `${file} is not used: ${read.reason}. mairu never uses a ${AUTO_CONFIG_NAME} that another user owns; ` +
        `work in a folder of your own, or name the role: mairu exec --server SERVER ROLE …`
      : `cannot read ${file}: ${read.reason}`
  }
}

/** The path of the first key or string in `json` that holds a control or bidirectional character, if any. */
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
