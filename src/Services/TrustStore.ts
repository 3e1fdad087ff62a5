import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type { AutoConfig } from "../Schemas/AutoConfig.js"

/** The trust store could not be read or written. */
export class TrustStoreError extends Data.TaggedError("TrustStoreError")<{ readonly message: string }> {}

/**
 * Which `.mairu.json` files the user has approved. A record binds the absolute
 * path and the exact bytes: a changed file needs approval again.
 */
export interface TrustStoreShape {
  /** SHA-384 of `"v0.auto\0\0" + path + "\0\0" + bytes`, base64url without padding. */
  readonly digest: (auto: AutoConfig) => string
  readonly isTrusted: (auto: AutoConfig) => Effect.Effect<boolean>
  readonly trust: (auto: AutoConfig) => Effect.Effect<void, TrustStoreError>
}

export class TrustStore extends Context.Tag("mairu/TrustStore")<TrustStore, TrustStoreShape>() {}
