import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { makeScrubber, type Scrubber } from "../Scrub.js"
import { scrubError } from "../ScrubErrors.js"

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

export class KnownSecrets extends Context.Tag("mairu/KnownSecrets")<KnownSecrets, KnownSecretsShape>() {
  /**
   * For tests: every secret remembered goes into `remembered` (server id and value), and
   * scrubbing replaces exactly those of the server, with no limit and no configured secrets.
   */
  static layerTest = (remembered: Array<{ readonly server: string; readonly value: string }> = []) => {
    const scrubberOf = (server: ServerConfig) =>
      makeScrubber(remembered.filter((secret) => secret.server === server.id).map((secret) => secret.value))
    return Layer.succeed(KnownSecrets, {
      remember: (server, secrets) =>
        Effect.sync(() => {
          for (const secret of secrets) {
            if (secret === undefined) continue
            remembered.push({ server: server.id, value: typeof secret === "string" ? secret : Redacted.value(secret) })
          }
        }),
      scrubberOf: (server) => Effect.sync(() => scrubberOf(server)),
      scrubbing: (server) => (effect) => Effect.mapError(effect, (error) => scrubError(scrubberOf(server))(error)),
      forget: (server) =>
        Effect.sync(() => {
          for (let index = remembered.length - 1; index >= 0; index--) {
            if (remembered[index]!.server === server.id) remembered.splice(index, 1)
          }
        })
    })
  }
}

/** Remembers `secrets` of `server`'s session. */
export const rememberSecrets = (server: ServerConfig, secrets: ReadonlyArray<Secret>) =>
  Effect.flatMap(KnownSecrets, (known) => known.remember(server, secrets))
