import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import type { Scrubber } from "../Scrub.js"

export type Secret = Redacted.Redacted<string> | string | undefined

/**
 * Every secret the agent knows of each server's session: its tokens (access, refresh,
 * id), its client secret, the login's device code, authorization code and PKCE
 * verifier, and the keys issued for each of its roles. Whatever a server sends back
 * is text that may quote any of them; it becomes a message or a log line only with
 * every one of them replaced, wherever in the text it is.
 */
export interface KnownSecretsShape {
  /** Remembers secrets of `server`'s session (undefined and short values are ignored). */
  readonly remember: (server: ServerConfig, secrets: ReadonlyArray<Secret>) => Effect.Effect<void>
  /** What replaces every known secret of `server` by `<redacted>` in a text, in any of its encoded forms. */
  readonly scrubberOf: (server: ServerConfig) => Effect.Effect<Scrubber>
  /** `effect` with every known secret of `server` removed from the message of any failure. */
  readonly scrubbing: (
    server: ServerConfig
  ) => <A, R>(effect: Effect.Effect<A, AgentError, R>) => Effect.Effect<A, AgentError, R>
  /** Forgets the secrets of `server`'s session (it was logged out). */
  readonly forget: (server: ServerConfig) => Effect.Effect<void>
}

export class KnownSecrets extends Context.Tag("mairu/KnownSecrets")<KnownSecrets, KnownSecretsShape>() {}

/** Remembers `secrets` of `server`'s session. */
export const rememberSecrets = (server: ServerConfig, secrets: ReadonlyArray<Secret>) =>
  Effect.flatMap(KnownSecrets, (known) => known.remember(server, secrets))
