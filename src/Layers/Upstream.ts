import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { Unknown } from "../Schemas/AgentErrors.js"
import { UPSTREAM_TIMEOUT } from "../Services/CredentialBackend.js"
import { VERSION } from "../Version.js"

/** Sent with every request to a server, as the original Mairu does. */
export const USER_AGENT = `mairu/${VERSION}`

/** Bodies larger than this are refused: no server of ours needs more. */
export const MAX_BODY_BYTES = 1024 * 1024

export interface UpstreamResponse {
  readonly status: number
  readonly text: string
}

/**
 * One HTTP exchange with a server, bounded in time and size; transport
 * failures become `Unknown` errors that name the server's url.
 */
export const send = (request: HttpClientRequest.HttpClientRequest, what: string) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response: HttpClientResponse.HttpClientResponse = yield* client.execute(
      HttpClientRequest.setHeader(request, "user-agent", USER_AGENT)
    )
    const tooLarge = new Unknown({ message: `${what}: the answer is larger than ${MAX_BODY_BYTES} bytes` })
    if (Number(response.headers["content-length"] ?? "0") > MAX_BODY_BYTES) return yield* tooLarge
    // Read at most MAX_BODY_BYTES, however the body is sent.
    const chunks = yield* response.stream.pipe(
      Stream.mapAccum(0, (size, chunk: Uint8Array) => [size + chunk.length, { size: size + chunk.length, chunk }]),
      Stream.takeUntil(({ size }) => size > MAX_BODY_BYTES),
      Stream.runCollect
    )
    const parts = Chunk.toReadonlyArray(chunks)
    if ((parts.at(-1)?.size ?? 0) > MAX_BODY_BYTES) return yield* tooLarge
    const text = Buffer.concat(parts.map(({ chunk }) => chunk)).toString("utf8")
    return { status: response.status, text } satisfies UpstreamResponse
  }).pipe(
    Effect.scoped,
    Effect.timeoutFail({
      duration: UPSTREAM_TIMEOUT,
      onTimeout: () => new Unknown({ message: `${what}: no answer from ${request.url} within ${UPSTREAM_TIMEOUT}` })
    }),
    Effect.catchTag("RequestError", "ResponseError", (error) =>
      Effect.fail(new Unknown({ message: `${what}: cannot reach ${request.url} (${describeCause(error.cause) ?? error.reason})` })))
  )

/** The innermost reason of a transport failure, e.g. `ECONNREFUSED` rather than `fetch failed`. */
const describeCause = (cause: unknown): string | undefined => {
  let current = cause
  let described: string | undefined
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code
    described = code ?? current.message
    current = current.cause
  }
  return described
}

/** A short, printable excerpt of a server's error body for messages. */
export const excerpt = (text: string): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 200 ? flat.slice(0, 200) + "…" : flat
}

class Retryable extends Data.TaggedError("Retryable")<{ readonly response: UpstreamResponse }> {}

/**
 * `send`, tried again (twice at most, after about 0.2 s and 0.4 s) when the
 * server answers 5xx or 429; for requests that are safe to repeat.
 */
export const sendRetrying = (request: HttpClientRequest.HttpClientRequest, what: string) =>
  send(request, what).pipe(
    Effect.flatMap((response) =>
      response.status >= 500 || response.status === 429
        ? Effect.fail(new Retryable({ response }))
        : Effect.succeed(response)
    ),
    Effect.retry({
      times: 2,
      schedule: Schedule.exponential("200 millis").pipe(Schedule.jittered),
      while: (error) => error._tag === "Retryable"
    }),
    Effect.catchTag("Retryable", (error) => Effect.succeed(error.response))
  )
