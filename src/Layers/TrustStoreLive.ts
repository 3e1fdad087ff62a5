import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import type { AutoConfig } from "../AutoConfig/AutoConfigFile.js"
import { autoDigest, isTrustedFile, trustRecordPath, trustRecordText } from "../AutoConfig/AutoFile.js"
import { Paths } from "../Services/Paths.js"
import { TrustNotRecorded, TrustStore } from "../Services/TrustStore.js"

export const TrustStoreLive = Layer.effect(
  TrustStore,
  Effect.gen(function*() {
    const { trustDir } = yield* Paths
    const digest = (auto: AutoConfig) => autoDigest(auto.path, auto.bytes)
    return {
      digest,
      isTrusted: (auto) => Effect.sync(() => isTrustedFile(trustDir, auto.path, auto.bytes)),
      trust: (auto) =>
        Effect.try({
          try: () => {
            fs.mkdirSync(trustDir, { recursive: true, mode: 0o700 })
            const file = trustRecordPath(trustDir, auto.path)
            const temporary = `${file}.${process.pid}.tmp`
            fs.writeFileSync(temporary, trustRecordText(auto.path, auto.bytes, auto.config, new Date()), {
              mode: 0o600
            })
            fs.renameSync(temporary, file)
          },
          catch: (error) => new TrustNotRecorded({ trustDir, reason: String(error) })
        })
    }
  })
)
