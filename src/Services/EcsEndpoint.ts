import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { ReportedRequester } from "../Schemas/Audit.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"

export interface EcsEndpointInfo {
  /** `http://127.0.0.1:PORT/…`, for AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  readonly url: string
  /** For AWS_CONTAINER_AUTHORIZATION_TOKEN: a fresh 256-bit secret. */
  readonly token: Redacted.Redacted<string>
  /** Drops the credentials it would reuse, so that the next request asks the agent (the session ended). */
  readonly forget: Effect.Effect<void>
}

/** Answers with credentials the agent was not asked for, to tell its audit trail. */
export interface EcsHandOuts {
  readonly handOuts: ReadonlyArray<{
    readonly at: Date
    readonly accessKeyId: string
    readonly requester: ReportedRequester
  }>
  /** Hand-outs that could not wait to be told. */
  readonly unrecorded: number
}

/**
 * The container-credentials endpoint of one `exec` (ecs mode), alive exactly as long as its scope.
 * `fetch` (on behalf of the process that asked) is run once for any number of concurrent
 * requests; its failures are answered with an error status (never stale credentials) and
 * handed to `onError`. Answers that did not ask the agent go to `record`.
 */
export interface EcsEndpointShape {
  readonly serve: <E>(
    fetch: (requester: ReportedRequester) => Effect.Effect<AwsCredentials, E>,
    onError: (error: E) => Effect.Effect<void>,
    options: {
      /** Answer from the last credentials while the agent would still serve them from its cache. */
      readonly reuse: boolean
      readonly record: (handOuts: EcsHandOuts) => Effect.Effect<void>
    }
  ) => Effect.Effect<EcsEndpointInfo, never, Scope.Scope>
}

export class EcsEndpoint extends Context.Tag("mairu/EcsEndpoint")<EcsEndpoint, EcsEndpointShape>() {}

/**
 * For tests: an endpoint that serves nothing; `fetches` is how the command's programs would
 * ask it for credentials (each call runs the command's fetch once, for a requester it cannot
 * name, its failures handed on).
 */
export const layerTest = (fetches: Array<Effect.Effect<void>> = []) =>
  Layer.succeed(EcsEndpoint, {
    serve: (fetch, onError) =>
      Effect.sync(() => {
        fetches.push(Effect.ignore(Effect.tapError(fetch({ _tag: "Unknown", reason: "a test endpoint" }), onError)))
        return {
          url: "http://127.0.0.1:1/test-endpoint",
          token: Redacted.make("test-endpoint-token"),
          forget: Effect.void
        }
      })
  })
