import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Unauthenticated, Unknown } from "../../Schemas/AgentErrors.js"
import type { OAuthConfig, ServerConfig } from "../../Schemas/ServerConfig.js"
import { formSecrets } from "../Scrub.js"
import { type KnownSecrets, rememberSecrets } from "../Services/KnownSecrets.js"
import type { Tokens } from "../Services/SessionStore.js"
import { parseBoundedJson } from "./BoundedJson.js"
import { excerpt, send } from "./Upstream.js"

/** A number of seconds as identity providers send it: a number or a numeric string (`"3600"`). */
export const Seconds = Schema.Union(Schema.Number, Schema.NumberFromString).pipe(
  Schema.filter((n) => Number.isFinite(n) && n >= 0, { message: () => "a number of seconds" })
)

/** Absent and `null` mean the same. */
export const nullable = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { nullable: true })

const TokenResponse = Schema.Struct({
  access_token: Schema.NonEmptyString,
  token_type: nullable(Schema.String),
  expires_in: nullable(Seconds),
  refresh_token: nullable(Schema.NonEmptyString),
  /** Not used, but a secret of the session all the same (whatever its form: it decides nothing). */
  id_token: nullable(Schema.Unknown)
})

const ErrorResponse = Schema.Struct({
  error: Schema.String,
  error_description: nullable(Schema.String)
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
 * What it sends (a code, a verifier, a refresh token) and the tokens it gets become
 * known secrets of the server's session.
 */
export const requestToken = (
  server: ServerConfig,
  oauth: OAuthConfig,
  params: Record<string, string>
): Effect.Effect<Either.Either<Tokens, OAuthErrorAnswer>, Unknown, HttpClient.HttpClient | KnownSecrets> =>
  Effect.gen(function*() {
    yield* rememberSecrets(server, formSecrets(Object.entries(params)))
    const what = `token request (${params.grant_type}) to ${server.id}`
    const response = yield* send(server, clientAuthenticated(oauth, oauth.tokenEndpoint, params), what)
    const json = parseBoundedJson(response.text)
    if (response.status === 200) {
      const decoded = json.ok ? decodeToken(json.value) : Option.none()
      if (Option.isNone(decoded)) {
        return yield* new Unknown({ message: `${what}: the token endpoint's answer is not a valid token response` })
      }
      const now = yield* Clock.currentTimeMillis
      const token = decoded.value
      yield* rememberSecrets(server, [
        token.access_token,
        token.refresh_token,
        typeof token.id_token === "string" ? token.id_token : undefined
      ])
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
        description: error.value.error_description === undefined
          ? undefined
          : response.scrub(error.value.error_description)
      })
    }
    return yield* new Unknown({
      message: `${what}: ${oauth.tokenEndpoint} answered ${response.status}` +
        (response.text === "" ? "" : ` (${excerpt(response)})`)
    })
  })

export const describeAnswer = (answer: OAuthErrorAnswer) =>
  answer.description === undefined ? answer.error : `${answer.error}: ${answer.description}`

/**
 * A refresh that the server refuses means the user has to log in again, and so
 * does a client registration past its `client_expires_at`.
 */
export const refreshTokens = (server: ServerConfig, oauth: OAuthConfig, refreshToken: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const clientExpiresAt = oauth.clientExpiresAt
    if (clientExpiresAt !== undefined && clientExpiresAt.getTime() <= (yield* Clock.currentTimeMillis)) {
      return yield* new Unauthenticated({
        serverId: server.id,
        message: `the OAuth client of ${server.id} expired at ${clientExpiresAt.toISOString()} ` +
          `("client_expires_at" in ${server.path}), so the session cannot be refreshed; log in again: mairu login ${server.id}`
      })
    }
    const answer = yield* requestToken(server, oauth, {
      grant_type: "refresh_token",
      refresh_token: Redacted.value(refreshToken),
      ...(oauth.scope.length > 0 ? { scope: oauth.scope.join(" ") } : {})
    })
    if (Either.isLeft(answer)) {
      return yield* new Unauthenticated({
        serverId: server.id,
        message: `the server refused to refresh the session (${describeAnswer(answer.left)})`
      })
    }
    return { ...answer.right, refreshToken: answer.right.refreshToken ?? refreshToken } satisfies Tokens
  })

/**
 * RFC 7009: asks the server to revoke a refresh token (and, by its policy, the
 * grant behind it). A 200 answer means revoked, whether or not the token was still valid.
 */
export const revokeRefreshToken = (
  server: ServerConfig,
  oauth: OAuthConfig,
  endpoint: string,
  refreshToken: Redacted.Redacted<string>
) =>
  Effect.gen(function*() {
    const what = `token revocation at ${server.id}`
    const response = yield* send(
      server,
      clientAuthenticated(oauth, endpoint, { token: Redacted.value(refreshToken), token_type_hint: "refresh_token" }),
      what
    )
    if (response.status !== 200) {
      return yield* new Unknown({
        message: `${what}: ${endpoint} answered ${response.status}` +
          (response.text === "" ? "" : ` (${excerpt(response)})`)
      })
    }
  })
