import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { parseBoundedJson } from "../Plain/BoundedJson.js"
import { Unauthenticated, Unknown } from "../Schemas/AgentErrors.js"
import type { OAuthConfig, ServerConfig } from "../Schemas/ServerConfig.js"
import type { Tokens } from "../Services/SessionStore.js"
import { excerpt, send } from "./Upstream.js"

const TokenResponse = Schema.Struct({
  access_token: Schema.NonEmptyString,
  token_type: Schema.optional(Schema.String),
  expires_in: Schema.optional(Schema.Number),
  refresh_token: Schema.optional(Schema.NonEmptyString)
})

const ErrorResponse = Schema.Struct({
  error: Schema.String,
  error_description: Schema.optional(Schema.String)
})

const decodeToken = Schema.decodeUnknownOption(TokenResponse)
const decodeError = Schema.decodeUnknownOption(ErrorResponse)

/** An RFC 6749 error answer (`authorization_pending`, `invalid_grant`, ...). */
export interface OAuthErrorAnswer {
  readonly _tag: "OAuthErrorAnswer"
  readonly error: string
  readonly description: string | undefined
}

const DEFAULT_TOKEN_LIFETIME_S = 3600

/** Adds the client's credentials: HTTP Basic for a confidential client, `client_id` for a public one. */
export const clientAuthenticated = (oauth: OAuthConfig, endpoint: string, params: Record<string, string>) => {
  const base = HttpClientRequest.post(endpoint).pipe(HttpClientRequest.acceptJson)
  if (oauth.clientSecret === undefined) {
    return HttpClientRequest.bodyUrlParams(base, { ...params, client_id: oauth.clientId })
  }
  const basic = Buffer.from(
    `${encodeURIComponent(oauth.clientId)}:${encodeURIComponent(Redacted.value(oauth.clientSecret))}`
  ).toString("base64")
  return base.pipe(
    HttpClientRequest.setHeader("authorization", `Basic ${basic}`),
    HttpClientRequest.bodyUrlParams(params)
  )
}

/**
 * Posts a grant to the token endpoint. An OAuth error answer is returned as a
 * value so that the device flow can keep polling; anything else unexpected fails.
 */
export const requestToken = (
  server: ServerConfig,
  oauth: OAuthConfig,
  params: Record<string, string>
): Effect.Effect<Either.Either<Tokens, OAuthErrorAnswer>, Unknown, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const what = `token request (${params.grant_type}) to ${server.id}`
    const response = yield* send(clientAuthenticated(oauth, oauth.tokenEndpoint, params), what)
    const json = parseBoundedJson(response.text)
    if (response.status === 200) {
      const decoded = json.ok ? decodeToken(json.value) : Option.none()
      if (Option.isNone(decoded)) {
        return yield* new Unknown({ message: `${what}: the token endpoint's answer is not a valid token response` })
      }
      const now = yield* Clock.currentTimeMillis
      const token = decoded.value
      return Either.right<Tokens>({
        accessToken: Redacted.make(token.access_token),
        issuedAt: new Date(now),
        expiresAt: new Date(now + (token.expires_in ?? DEFAULT_TOKEN_LIFETIME_S) * 1000),
        refreshToken: token.refresh_token === undefined ? undefined : Redacted.make(token.refresh_token)
      })
    }
    const error = json.ok ? decodeError(json.value) : Option.none()
    if (Option.isSome(error)) {
      // Server text: the request's secrets are removed before it becomes part of a message.
      return Either.left<OAuthErrorAnswer>({
        _tag: "OAuthErrorAnswer",
        error: response.scrub(error.value.error),
        description: error.value.error_description === undefined ? undefined : response.scrub(error.value.error_description)
      })
    }
    return yield* new Unknown({
      message: `${what}: ${oauth.tokenEndpoint} answered ${response.status}` +
        (response.text === "" ? "" : ` (${excerpt(response)})`)
    })
  })

export const describeAnswer = (answer: OAuthErrorAnswer) =>
  answer.description === undefined ? answer.error : `${answer.error}: ${answer.description}`

/** A refresh that the server refuses means the user has to log in again. */
export const refreshTokens = (server: ServerConfig, oauth: OAuthConfig, refreshToken: Redacted.Redacted<string>) =>
  requestToken(server, oauth, { grant_type: "refresh_token", refresh_token: Redacted.value(refreshToken) }).pipe(
    Effect.flatMap(Either.match({
      onLeft: (answer) =>
        Effect.fail(
          new Unauthenticated({
            serverId: server.id,
            message: `the server refused to refresh the session (${describeAnswer(answer)})`
          })
        ),
      onRight: (tokens) =>
        Effect.succeed<Tokens>({ ...tokens, refreshToken: tokens.refreshToken ?? refreshToken })
    }))
  )
