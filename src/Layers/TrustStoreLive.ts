import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import type { AutoConfig } from "../Schemas/AutoConfig.js"
import { Paths } from "../Services/Paths.js"
import { TrustStore, TrustStoreError } from "../Services/TrustStore.js"

/** The original tool's scheme, so that existing approvals and printed commands carry over (reference §2.2). */
export const autoDigest = (file: string, bytes: Buffer): string =>
  crypto.createHash("sha384").update("v0.auto\0\0").update(file).update("\0\0").update(bytes).digest("base64url")

export const trustRecordName = (file: string): string =>
  `trust.${crypto.createHash("sha256").update("v0.trust_path\0\0").update(file).digest("base64url")}.json`

interface TrustRecord {
  readonly path: string
  readonly trust: boolean
  readonly digest: string
}

const readRecord = (file: string): TrustRecord | undefined => {
  try {
    const record = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<TrustRecord>
    return typeof record.path === "string" && typeof record.digest === "string" && record.trust === true
      ? { path: record.path, trust: true, digest: record.digest }
      : undefined
  } catch {
    return undefined
  }
}

export const TrustStoreLive = Layer.effect(
  TrustStore,
  Effect.gen(function*() {
    const { trustDir } = yield* Paths
    const recordPath = (auto: AutoConfig) => path.join(trustDir, trustRecordName(auto.path))
    const digest = (auto: AutoConfig) => autoDigest(auto.path, auto.bytes)
    return {
      digest,
      isTrusted: (auto) =>
        Effect.sync(() => {
          const record = readRecord(recordPath(auto))
          return record !== undefined && record.path === auto.path && record.digest === digest(auto)
        }),
      trust: (auto) =>
        Effect.try({
          try: () => {
            fs.mkdirSync(trustDir, { recursive: true, mode: 0o700 })
            const file = recordPath(auto)
            const temporary = `${file}.${process.pid}.tmp`
            const record = {
              path: auto.path,
              trust: true,
              digest: digest(auto),
              content: auto.config,
              updated_at: new Date().toISOString()
            }
            fs.writeFileSync(temporary, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 })
            fs.renameSync(temporary, file)
          },
          catch: (error) => new TrustStoreError({ message: `cannot record the trust in ${trustDir}: ${String(error)}` })
        })
    }
  })
)
