import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import { Unknown } from "../Schemas/AgentErrors.js"
import { UPSTREAM_TIMEOUT } from "../Services/CredentialBackend.js"

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
    const response: HttpClientResponse.HttpClientResponse = yield* client.execute(request)
    const length = Number(response.headers["content-length"] ?? "0")
    if (length > MAX_BODY_BYTES) {
      return yield* new Unknown({ message: `${what}: the answer is too large (${length} bytes)` })
    }
    const text = yield* response.text
    if (text.length > MAX_BODY_BYTES) {
      return yield* new Unknown({ message: `${what}: the answer is too large` })
    }
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
