import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import type { Obtained } from "../Credentials/CachePolicy.js"
import { type EcsCredentials, startEcsServer } from "../Exec/EcsServer.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import { EcsEndpoint } from "../Services/EcsEndpoint.js"

const revealed = (credentials: AwsCredentials): EcsCredentials => ({
  accessKeyId: credentials.accessKeyId,
  secretAccessKey: Redacted.value(credentials.secretAccessKey),
  sessionToken: credentials.sessionToken === undefined ? undefined : Redacted.value(credentials.sessionToken),
  expiration: credentials.expiration,
  noCache: credentials.noCache
})

export const EcsEndpointLive = Layer.succeed(EcsEndpoint, {
  serve: <E>(
    fetch: Effect.Effect<AwsCredentials, E>,
    onError: (error: E) => Effect.Effect<void>,
    options: { readonly reuse: boolean }
  ) =>
    Effect.gen(function*() {
      const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())
      const fetchOnce = () =>
        runPromise(
          fetch.pipe(
            Effect.tapError(onError),
            Effect.match({
              onFailure: (error): Obtained<EcsCredentials, E> => ({ ok: false, error }),
              onSuccess: (credentials): Obtained<EcsCredentials, E> => ({ ok: true, value: revealed(credentials) })
            })
          )
        )
      const server = yield* Effect.acquireRelease(
        Effect.promise(() => startEcsServer(fetchOnce, options)),
        (server) => Effect.sync(server.close)
      )
      return { url: server.url, token: Redacted.make(server.token), forget: Effect.sync(server.forget) }
    })
})
