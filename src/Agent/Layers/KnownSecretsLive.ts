import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { makeScrubber, type Scrubber } from "../Scrub.js"
import { scrubError, serverSecrets } from "../ScrubErrors.js"
import { KnownSecrets } from "../Services/KnownSecrets.js"
import { serverKey } from "../Services/SessionStore.js"

/**
 * Secrets kept per server at most; the oldest go first. A day of hourly renewals of
 * the roles kept warm fits many times over.
 */
export const MAX_SECRETS_PER_SERVER = 16_384

export const KnownSecretsLive = Layer.sync(KnownSecrets, () => {
  const byServer = new Map<string, Set<string>>()
  /** Built on first use after a change, so that a run of failures does not rebuild it. */
  const scrubbers = new Map<string, Scrubber>()

  const scrubberOf = (server: ServerConfig): Scrubber => {
    const key = serverKey(server)
    let scrubber = scrubbers.get(key)
    if (scrubber === undefined) {
      const configured = serverSecrets(server).map((secret) =>
        secret === undefined ? undefined : Redacted.value(secret)
      )
      scrubber = makeScrubber([...(byServer.get(key) ?? []), ...configured])
      scrubbers.set(key, scrubber)
    }
    return scrubber
  }

  return {
    remember: (server, secrets) =>
      Effect.sync(() => {
        const key = serverKey(server)
        let known = byServer.get(key)
        if (known === undefined) byServer.set(key, known = new Set())
        for (const secret of secrets) {
          if (secret === undefined) continue
          const value = typeof secret === "string" ? secret : Redacted.value(secret)
          if (known.has(value)) continue
          known.add(value)
          scrubbers.delete(key)
          if (known.size > MAX_SECRETS_PER_SERVER) known.delete(known.values().next().value!)
        }
      }),
    scrubberOf: (server) => Effect.sync(() => scrubberOf(server)),
    scrubbing: (server) => (effect) => Effect.mapError(effect, (error) => scrubError(scrubberOf(server))(error)),
    forget: (server) =>
      Effect.sync(() => {
        byServer.delete(serverKey(server))
        scrubbers.delete(serverKey(server))
      })
  }
})
