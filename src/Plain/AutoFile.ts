import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"

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

/** The original tool's scheme, so that existing approvals and printed commands carry over. */
export const autoDigest = (file: string, bytes: Buffer): string =>
  crypto.createHash("sha384").update("v0.auto\0\0").update(file).update("\0\0").update(bytes).digest("base64url")

export const trustRecordName = (file: string): string =>
  `trust.${crypto.createHash("sha256").update("v0.trust_path\0\0").update(file).digest("base64url")}.json`

export const trustRecordPath = (trustDir: string, file: string) => path.join(trustDir, trustRecordName(file))

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
