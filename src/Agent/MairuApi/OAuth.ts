import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { randomToken } from "../../RandomToken.js"
import {
  type AgentError,
  InvalidArgument,
  PermissionDenied,
  Unauthenticated,
  Unknown
} from "../../Schemas/AgentErrors.js"
import type { CodeGrantConfig, GrantType, OAuthConfig, ServerConfig } from "../../Schemas/ServerConfig.js"
import { authorizationCode, listenForCallback } from "../OAuth/LoopbackCallback.js"
import { checkPageUrls } from "../OAuth/PageUrls.js"
import { authorizationUrl, makePkce } from "../OAuth/Pkce.js"
import { type KnownSecrets, rememberSecrets } from "../Services/KnownSecrets.js"
import type { PendingGrant } from "../Services/OAuth.js"
import { clientAuthenticated, describeAnswer, nullable, requestToken, Seconds } from "./TokenEndpoint.js"
import { decodeAnswer, excerpt, send } from "./Upstream.js"

const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

const codeGrant = (server: ServerConfig, oauth: OAuthConfig, config: CodeGrantConfig) =>
  Effect.gen(function*() {
    yield* checkPageUrls(server.id, { authorization_endpoint: config.authorizationEndpoint })
    const pkce = makePkce()
    yield* rememberSecrets(server, [pkce.verifier])
    const state = randomToken(16)
    const callback = yield* listenForCallback({
      host: config.useLocalhost ? "localhost" : "127.0.0.1",
      port: config.localPort,
      callbackPath: "/oauth2callback",
      state,
      authorizationUrl: (redirectUri) =>
        authorizationUrl(config.authorizationEndpoint, {
          clientId: oauth.clientId,
          redirectUri,
          state,
          challenge: pkce.challenge,
          extra: { scope: oauth.scope.join(" ") }
        })
    })
    const tokens = Effect.gen(function*() {
      const { code, respond } = yield* authorizationCode(callback, server.id, "The server")
      const answer = yield* requestToken(server, oauth, {
        grant_type: "authorization_code",
        code,
        redirect_uri: callback.redirectUri,
        code_verifier: pkce.verifier
      }).pipe(Effect.tapError((error) => Effect.sync(() => respond(false, error.message))))
      if (Either.isLeft(answer)) {
        respond(false, `The token request failed: ${describeAnswer(answer.left)}.`)
        return yield* new Unauthenticated({
          serverId: server.id,
          message: `${server.id} refused the authorization code (${describeAnswer(answer.left)})`
        })
      }
      respond(true, `mairu is logged in to ${server.id}. You can close this window.`)
      return answer.right
    }).pipe(Effect.provide(yield* Effect.context<HttpClient.HttpClient | KnownSecrets>()))
    return { challenge: { _tag: "CodeGrant", url: callback.shortUrl }, tokens } satisfies PendingGrant
  })

/** RFC 8628 §3.2, with the leniency real providers need: `verification_url` (Google), numeric strings. */
const DeviceAuthorization = Schema.Struct({
  device_code: Schema.NonEmptyString,
  user_code: Schema.NonEmptyString,
  verification_uri: nullable(Schema.NonEmptyString),
  verification_url: nullable(Schema.NonEmptyString),
  verification_uri_complete: nullable(Schema.String),
  expires_in: Seconds,
  interval: nullable(Seconds)
})

/** RFC 8628: without an `interval`, poll every 5 seconds. */
const DEFAULT_INTERVAL_S = 5

const deviceGrant = (server: ServerConfig, oauth: OAuthConfig, endpoint: string) =>
  Effect.gen(function*() {
    const what = `device authorization at ${server.id}`
    const response = yield* send(server, clientAuthenticated(oauth, endpoint, { scope: oauth.scope.join(" ") }), what)
    if (response.status !== 200) {
      return yield* new Unknown({ message: `${what}: ${endpoint} answered ${response.status} (${excerpt(response)})` })
    }
    const device = yield* decodeAnswer(DeviceAuthorization, response, what)
    yield* rememberSecrets(server, [device.device_code])
    const verificationUri = device.verification_uri ?? device.verification_url
    if (verificationUri === undefined) {
      return yield* new Unknown({ message: `${what}: the answer has no "verification_uri"` })
    }
    // An empty `verification_uri_complete` is no page: the user enters the code at `verification_uri`.
    const verificationUriComplete = device.verification_uri_complete === ""
      ? undefined
      : device.verification_uri_complete
    yield* checkPageUrls(server.id, {
      [device.verification_uri === undefined ? "verification_url" : "verification_uri"]: verificationUri,
      verification_uri_complete: verificationUriComplete
    })
    const expiresAt = new Date((yield* Clock.currentTimeMillis) + device.expires_in * 1000)
    const expired = new Unauthenticated({
      serverId: server.id,
      message: `the login code for ${server.id} expired before it was approved`
    })
    let interval = Math.max(device.interval ?? DEFAULT_INTERVAL_S, 1)
    const context = yield* Effect.context<HttpClient.HttpClient | KnownSecrets>()
    const poll = Effect.gen(function*() {
      while (true) {
        yield* Effect.sleep(Duration.seconds(interval))
        const answer = yield* requestToken(server, oauth, {
          grant_type: DEVICE_CODE_GRANT,
          device_code: device.device_code
        })
        if (Either.isRight(answer)) return answer.right
        switch (answer.left.error) {
          case "authorization_pending":
            continue
          case "slow_down":
            interval += 5
            continue
          case "access_denied":
            return yield* new PermissionDenied({ message: `the login to ${server.id} was denied` })
          case "expired_token":
            return yield* expired
          default:
            return yield* new Unknown({ message: `the login to ${server.id} failed: ${describeAnswer(answer.left)}` })
        }
      }
    }).pipe(
      Effect.timeoutFail({ duration: Duration.seconds(device.expires_in), onTimeout: () => expired }),
      Effect.provide(context)
    )
    return {
      challenge: {
        _tag: "DeviceGrant",
        userCode: device.user_code,
        verificationUri,
        verificationUriComplete,
        expiresAt
      },
      tokens: poll
    } satisfies PendingGrant
  })

/** Starts the grant asked for, or the server's default one. */
export const mairuApiStartLogin = (
  server: ServerConfig,
  oauth: OAuthConfig,
  grantType: GrantType | undefined
): Effect.Effect<PendingGrant, AgentError, Scope.Scope | HttpClient.HttpClient | KnownSecrets> => {
  const chosen = grantType ?? oauth.defaultGrantType
  if (chosen === "code_grant") {
    return oauth.codeGrant === undefined
      ? Effect.fail(
        new InvalidArgument({
          message: `${server.id} does not offer the code grant (no "code_grant" in ${server.path})`
        })
      )
      : codeGrant(server, oauth, oauth.codeGrant)
  }
  return oauth.deviceGrant === undefined
    ? Effect.fail(
      new InvalidArgument({
        message: `${server.id} does not offer the device grant (no "device_code_grant" in ${server.path})`
      })
    )
    : deviceGrant(server, oauth, oauth.deviceGrant.deviceAuthorizationEndpoint)
}
