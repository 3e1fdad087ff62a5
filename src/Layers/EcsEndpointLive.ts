import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import type { Obtained } from "../Credentials/CachePolicy.js"
import { type EcsCredentials, type EcsHandOut, startEcsServer } from "../Exec/EcsServer.js"
import type { ReportedRequester } from "../Schemas/Audit.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import { EcsEndpoint, type EcsHandOuts } from "../Services/EcsEndpoint.js"

const revealed = (credentials: AwsCredentials): EcsCredentials => ({
  accessKeyId: credentials.accessKeyId,
  secretAccessKey: Redacted.value(credentials.secretAccessKey),
  sessionToken: credentials.sessionToken === undefined ? undefined : Redacted.value(credentials.sessionToken),
  expiration: credentials.expiration,
  noCache: credentials.noCache
})

export const EcsEndpointLive = Layer.succeed(EcsEndpoint, {
  serve: <E>(
    fetch: (requester: ReportedRequester) => Effect.Effect<AwsCredentials, E>,
    onError: (error: E) => Effect.Effect<void>,
    options: { readonly reuse: boolean; readonly record: (handOuts: EcsHandOuts) => Effect.Effect<void> }
  ) =>
    Effect.gen(function*() {
      const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())
      const fetchOnce = (requester: ReportedRequester) =>
        runPromise(
          fetch(requester).pipe(
            Effect.tapError(onError),
            Effect.match({
              onFailure: (error): Obtained<EcsCredentials, E> => ({ ok: false, error }),
              onSuccess: (credentials): Obtained<EcsCredentials, E> => ({ ok: true, value: revealed(credentials) })
            })
          )
        )
      const record = (handOuts: ReadonlyArray<EcsHandOut>, unrecorded: number) =>
        runPromise(options.record({ handOuts, unrecorded }))
      const server = yield* Effect.acquireRelease(
        Effect.promise(() => startEcsServer(fetchOnce, { reuse: options.reuse, record })),
        (server) => Effect.promise(server.close)
      )
      return { url: server.url, token: Redacted.make(server.token), forget: Effect.sync(server.forget) }
    })
})
