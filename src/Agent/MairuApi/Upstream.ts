import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Unknown } from "../../Schemas/AgentErrors.js"
import { describeParseError } from "../../Schemas/ParseIssues.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { VERSION } from "../../Version.js"
import { authorizationSecrets, formSecrets, makeScrubber, redactSecretFields, type Scrubber } from "../Scrub.js"
import { UPSTREAM_TIMEOUT } from "../Services/CredentialBackend.js"
import { KnownSecrets } from "../Services/KnownSecrets.js"
import { parseBoundedJson } from "./BoundedJson.js"

/** Sent with every request to a server, as the original Mairu does. */
export const USER_AGENT = `mairu/${VERSION}`

const RETRY_SCHEDULE = Schedule.exponential("200 millis").pipe(Schedule.jittered)

/** Bodies larger than this are refused: no server of ours needs more. */
export const MAX_BODY_BYTES = 1024 * 1024

export interface UpstreamResponse {
  readonly status: number
  readonly text: string
  /**
   * Removes from server text every secret the request carried and every known secret of
   * the server's session (a server may echo them), before any of it is cut to an excerpt.
   */
  readonly scrub: Scrubber
}

/** The secrets a request carries: its credentials header and every field of a form body but the public ones. */
const requestSecrets = (request: HttpClientRequest.HttpClientRequest): Array<string> => {
  const secrets = [
    ...authorizationSecrets(request.headers["authorization"]),
    ...[request.headers["x-amz-security-token"], request.headers["x-amz-sso_bearer_token"]].filter((v) =>
      v !== undefined
    )
  ]
  const body = request.body
  if (body._tag === "Uint8Array" && body.contentType.startsWith("application/x-www-form-urlencoded")) {
    secrets.push(...formSecrets(new URLSearchParams(Buffer.from(body.body).toString("utf8"))))
  }
  return secrets
}

/**
 * One HTTP exchange with `server`, bounded in time and size; transport
 * failures become `Unknown` errors that name the server's url.
 */
export const send = (
  server: ServerConfig,
  request: HttpClientRequest.HttpClientRequest,
  what: string,
  options: { readonly retrying: boolean } = { retrying: false }
) =>
  Effect.gen(function*() {
    const client = options.retrying
      ? (yield* HttpClient.HttpClient).pipe(
        HttpClient.retryTransient({ mode: "both", times: 2, schedule: RETRY_SCHEDULE })
      )
      : yield* HttpClient.HttpClient
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
    const known = yield* (yield* KnownSecrets).scrubberOf(server)
    const carried = makeScrubber(requestSecrets(request))
    return { status: response.status, text, scrub: (text) => known(carried(text)) } satisfies UpstreamResponse
  }).pipe(
    Effect.scoped,
    Effect.timeoutFail({
      duration: UPSTREAM_TIMEOUT,
      onTimeout: () => new Unknown({ message: `${what}: no answer from ${request.url} within ${UPSTREAM_TIMEOUT}` })
    }),
    Effect.catchTag("RequestError", "ResponseError", (error) =>
      Effect.fail(
        new Unknown({ message: `${what}: cannot reach ${request.url} (${describeCause(error.cause) ?? error.reason})` })
      ))
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

/**
 * A short excerpt of a server's error body for messages and logs: on one line, with
 * the request's secrets and the values of secret-looking JSON fields removed.
 * Control characters are left to the terminal renderer.
 */
export const excerpt = (response: UpstreamResponse): string => {
  const json = parseBoundedJson(response.text, 32)
  const shown = json.ok && typeof json.value === "object" && json.value !== null
    ? JSON.stringify(redactSecretFields(json.value))
    : response.text
  const flat = response.scrub(shown.replace(/\s+/g, " ").trim())
  return flat.length > 200 ? flat.slice(0, 200) + "…" : flat
}

/**
 * A server's JSON answer decoded by `schema`, or an `Unknown` error naming `what`
 * (which names the server): too deep or not JSON, or which fields are wrong, never
 * their values.
 */
export const decodeAnswer = <A, I>(schema: Schema.Schema<A, I>, response: UpstreamResponse, what: string) =>
  Effect.suspend(() => {
    const json = parseBoundedJson(response.text)
    if (!json.ok) {
      return Effect.fail(new Unknown({ message: `${what}: the server's answer is not usable: ${json.reason}` }))
    }
    return Schema.decodeUnknown(schema)(json.value).pipe(
      Effect.mapError((error) =>
        new Unknown({
          message: `${what}: the server's answer is not valid: ${
            response.scrub(describeParseError(error, "the answer"))
          }`
        })
      )
    )
  })

/**
 * `send` for requests that are safe to repeat: a transport failure or a transient answer
 * (408, 429, 500, 502, 503, 504) is tried again, twice at most, after about 0.2 s and 0.4 s;
 * the last answer is reported as it is.
 */
export const sendRetrying = (server: ServerConfig, request: HttpClientRequest.HttpClientRequest, what: string) =>
  send(server, request, what, { retrying: true })
