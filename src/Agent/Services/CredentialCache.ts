import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { AwsCredentials } from "../../Schemas/Credentials.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"

/** Credentials, and whether they came from the cache or from a fetch (one's own, or one joined). */
export interface Served {
  readonly credentials: AwsCredentials
  readonly source: "cache" | "upstream"
}

export interface CredentialCacheShape {
  /**
   * Cached credentials for `key`, or the result of `fetch`, which runs once however
   * many callers ask at the same time and is not cancelled when one of them goes away.
   * `noCache` skips the stored value (but still joins a fetch under way).
   */
  readonly get: (
    server: ServerConfig,
    key: string,
    fetch: Effect.Effect<AwsCredentials, AgentError>,
    options: { readonly noCache: boolean }
  ) => Effect.Effect<Served, AgentError>
  /** Forgets every credential of a server (a new token was issued for it). */
  readonly clearServer: (server: ServerConfig) => Effect.Effect<void>
}

export class CredentialCache extends Context.Tag("mairu/CredentialCache")<CredentialCache, CredentialCacheShape>() {
  /**
   * A cache for tests of what uses it: it keeps nothing (every `get` runs its fetch),
   * and records in `cleared` the id of each server whose credentials it was told to forget.
   */
  static layerTest = (options: { readonly cleared?: Array<string> } = {}) =>
    Layer.succeed(CredentialCache, {
      get: (_server, _key, fetch) => Effect.map(fetch, (credentials) => ({ credentials, source: "upstream" as const })),
      clearServer: (server) => Effect.sync(() => void options.cleared?.push(server.id))
    })
}
