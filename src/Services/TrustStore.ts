import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { AutoConfig } from "../AutoConfig/AutoConfigFile.js"
import { autoDigest } from "../AutoConfig/AutoFile.js"

/** The trust in a `.mairu.json` could not be recorded in `trustDir`. */
export class TrustNotRecorded extends Schema.TaggedError<TrustNotRecorded>()("TrustNotRecorded", {
  trustDir: Schema.String,
  reason: Schema.String
}) {}

/**
 * Which `.mairu.json` files the user has approved. A record binds the absolute
 * path and the exact bytes: a changed file needs approval again.
 */
export interface TrustStoreShape {
  /** SHA-384 of `"v0.auto\0\0" + path + "\0\0" + bytes`, base64url without padding. */
  readonly digest: (auto: AutoConfig) => string
  readonly isTrusted: (auto: AutoConfig) => Effect.Effect<boolean>
  readonly trust: (auto: AutoConfig) => Effect.Effect<void, TrustNotRecorded>
}

export class TrustStore extends Context.Tag("mairu/TrustStore")<TrustStore, TrustStoreShape>() {}

/** For tests: approvals held in `trusted` (by digest), none on disk. */
export const layerTest = (trusted: Set<string> = new Set()) =>
  Layer.sync(TrustStore, () => {
    const digest = (auto: AutoConfig) => autoDigest(auto.path, auto.bytes)
    return {
      digest,
      isTrusted: (auto) => Effect.sync(() => trusted.has(digest(auto))),
      trust: (auto) => Effect.sync(() => void trusted.add(digest(auto)))
    }
  })
