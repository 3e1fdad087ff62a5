import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { randomToken } from "../../RandomToken.js"
import {
  type AgentError,
  InvalidArgument,
  PermissionDenied,
  Unauthenticated,
  Unknown
} from "../../Schemas/AgentErrors.js"
import type { AwsSsoConfig, GrantType, ServerConfig } from "../../Schemas/ServerConfig.js"
import { Settings } from "../../Services/Settings.js"
import { authorizationCode, listenForCallback } from "../OAuth/LoopbackCallback.js"
import { checkPageUrls } from "../OAuth/PageUrls.js"
import { authorizationUrl, makePkce } from "../OAuth/Pkce.js"
import { UPSTREAM_TIMEOUT } from "../Services/CredentialBackend.js"
import { type KnownSecrets, rememberSecrets } from "../Services/KnownSecrets.js"
import type { PendingGrant } from "../Services/OAuth.js"
import type { Tokens } from "../Services/SessionStore.js"
import { type SsoRegistration, SsoRegistrations } from "../Services/SsoRegistrations.js"
import { loadSsoOidc } from "./Sdk.js"
import { asSdkError, fromSdkError, scrubSdkError } from "./SdkErrors.js"

type SsoOidcSdk = Effect.Effect.Success<typeof loadSsoOidc>
type CreateTokenInput = ConstructorParameters<SsoOidcSdk["CreateTokenCommand"]>[0]

const ssoServer = (server: ServerConfig): Effect.Effect<AwsSsoConfig, InvalidArgument> =>
  server._tag === "AwsSso"
    ? Effect.succeed(server.awsSso)
    : Effect.fail(new InvalidArgument({ message: `${server.id} is not an AWS IAM Identity Center server` }))

const oidcClient = (sdk: SsoOidcSdk, config: AwsSsoConfig) =>
  new sdk.SSOOIDCClient({ region: config.region, maxAttempts: 3 })

/** The authorize endpoint, where the SDK would send sso-oidc calls (`AWS_ENDPOINT_URL_SSO_OIDC` moves it). */
export const authorizeEndpoint = (sdk: SsoOidcSdk, region: string, configured: Option.Option<string>): string => {
  const base = Option.getOrElse(
    configured,
    () =>
      oidcClient(sdk, { region, scope: [], localPort: undefined }).config.endpointProvider({ Region: region }).url
        .toString()
  )
  return new URL("authorize", base.endsWith("/") ? base : base + "/").toString()
}

/**
 * One CreateToken call; an OAuth error answer comes back as the SDK error's name. What
 * it sends and the tokens it gets become known secrets of the server's session.
 */
const createToken = (server: ServerConfig, sdk: SsoOidcSdk, config: AwsSsoConfig, input: CreateTokenInput) =>
  rememberSecrets(server, [input.clientSecret, input.code, input.codeVerifier, input.deviceCode, input.refreshToken])
    .pipe(Effect.zipRight(Effect.tryPromise({
      try: (abortSignal) => oidcClient(sdk, config).send(new sdk.CreateTokenCommand(input), { abortSignal }),
      catch: (error) =>
        scrubSdkError(error, [input.clientSecret, input.code, input.codeVerifier, input.deviceCode, input.refreshToken])
    }))).pipe(
      Effect.timeoutFail({
        duration: UPSTREAM_TIMEOUT,
        onTimeout: () =>
          new Unknown({ message: `sso-oidc:CreateToken for ${server.id}: no answer within ${UPSTREAM_TIMEOUT}` })
      }),
      Effect.flatMap((answer) =>
        Clock.currentTimeMillis.pipe(Effect.flatMap((now) => {
          if (answer.accessToken === undefined) {
            return Effect.fail(
              new Unknown({ message: `sso-oidc:CreateToken for ${server.id}: the answer has no access token` })
            )
          }
          return rememberSecrets(server, [answer.accessToken, answer.refreshToken, answer.idToken]).pipe(
            Effect.as<Tokens>({
              accessToken: Redacted.make(answer.accessToken),
              issuedAt: new Date(now),
              expiresAt: new Date(now + (answer.expiresIn ?? 3600) * 1000),
              refreshToken: answer.refreshToken === undefined ? undefined : Redacted.make(answer.refreshToken)
            })
          )
        }))
      )
    )

const loginFailed = (server: ServerConfig, error: unknown): AgentError => {
  const e = asSdkError(error)
  if (e.name === "AccessDeniedException") {
    return new PermissionDenied({ message: `the login to ${server.id} was denied` })
  }
  if (e.name === "ExpiredTokenException" || e.name === "InvalidGrantException" || e.name === "InvalidClientException") {
    return new Unauthenticated({ serverId: server.id, message: `the login to ${server.id} failed (${e.name})` })
  }
  return error instanceof Unknown ? error : fromSdkError(server.id, `the login to ${server.id}`, error)
}

const codeGrant = (server: ServerConfig, sdk: SsoOidcSdk, config: AwsSsoConfig, registration: SsoRegistration) =>
  Effect.gen(function*() {
    const pkce = makePkce()
    yield* rememberSecrets(server, [registration.clientSecret, pkce.verifier])
    const state = randomToken(16)
    const authorize = authorizeEndpoint(sdk, config.region, (yield* Settings).ssoOidcEndpoint)
    yield* checkPageUrls(server.id, { authorize: authorize })
    const callback = yield* listenForCallback({
      host: "127.0.0.1",
      port: config.localPort,
      callbackPath: "/oauth/callback",
      state,
      authorizationUrl: (redirectUri) =>
        authorizationUrl(authorize, {
          clientId: registration.clientId,
          redirectUri,
          state,
          challenge: pkce.challenge,
          extra: { scopes: config.scope.join(" ") }
        })
    })
    const tokens = Effect.gen(function*() {
      const { code, respond } = yield* authorizationCode(callback, server.id, "AWS")
      return yield* createToken(server, sdk, config, {
        clientId: registration.clientId,
        clientSecret: Redacted.value(registration.clientSecret),
        grantType: "authorization_code",
        code,
        codeVerifier: pkce.verifier,
        redirectUri: callback.redirectUri
      }).pipe(
        Effect.mapError((error) => loginFailed(server, error)),
        Effect.tapBoth({
          onFailure: (error) => Effect.sync(() => respond(false, error.message)),
          onSuccess: () =>
            Effect.sync(() => respond(true, `mairu is logged in to ${server.id}. You can close this window.`))
        })
      )
    }).pipe(Effect.provide(yield* Effect.context<KnownSecrets>()))
    return { challenge: { _tag: "CodeGrant", url: callback.shortUrl }, tokens } satisfies PendingGrant
  })

const deviceGrant = (server: ServerConfig, sdk: SsoOidcSdk, config: AwsSsoConfig, registration: SsoRegistration) =>
  Effect.gen(function*() {
    yield* rememberSecrets(server, [registration.clientSecret])
    const device = yield* Effect.tryPromise({
      try: (abortSignal) =>
        oidcClient(sdk, config).send(
          new sdk.StartDeviceAuthorizationCommand({
            clientId: registration.clientId,
            clientSecret: Redacted.value(registration.clientSecret),
            startUrl: server.url
          }),
          { abortSignal }
        ),
      catch: (error) =>
        fromSdkError(
          server.id,
          `sso-oidc:StartDeviceAuthorization for ${server.id}`,
          scrubSdkError(error, [Redacted.value(registration.clientSecret)])
        )
    })
    if (device.deviceCode === undefined || device.userCode === undefined || device.verificationUri === undefined) {
      return yield* new Unknown({ message: `sso-oidc:StartDeviceAuthorization for ${server.id}: incomplete answer` })
    }
    yield* checkPageUrls(server.id, {
      verificationUri: device.verificationUri,
      verificationUriComplete: device.verificationUriComplete
    })
    const deviceCode = device.deviceCode
    yield* rememberSecrets(server, [deviceCode])
    const expiresIn = device.expiresIn ?? 600
    let interval = Math.max(device.interval ?? 5, 1)
    const expired = new Unauthenticated({
      serverId: server.id,
      message: `the login code for ${server.id} expired before it was approved`
    })
    const poll = Effect.gen(function*() {
      while (true) {
        yield* Effect.sleep(Duration.seconds(interval))
        const answer = yield* Effect.either(createToken(server, sdk, config, {
          clientId: registration.clientId,
          clientSecret: Redacted.value(registration.clientSecret),
          grantType: "urn:ietf:params:oauth:grant-type:device_code",
          deviceCode
        }))
        if (answer._tag === "Right") return answer.right
        const name = asSdkError(answer.left).name
        if (name === "AuthorizationPendingException") continue
        if (name === "SlowDownException") {
          interval += 5
          continue
        }
        return yield* Effect.fail(loginFailed(server, answer.left))
      }
    }).pipe(
      Effect.timeoutFail({ duration: Duration.seconds(expiresIn), onTimeout: () => expired }),
      Effect.provide(yield* Effect.context<KnownSecrets>())
    )
    return {
      challenge: {
        _tag: "DeviceGrant",
        userCode: device.userCode,
        verificationUri: device.verificationUri,
        verificationUriComplete: device.verificationUriComplete,
        expiresAt: new Date((yield* Clock.currentTimeMillis) + expiresIn * 1000)
      },
      tokens: poll
    } satisfies PendingGrant
  })

/** Starts an AWS SSO login: the code grant unless the device grant is asked for. */
export const awsSsoStartLogin = (
  server: ServerConfig,
  grantType: GrantType | undefined
): Effect.Effect<PendingGrant, AgentError, Scope.Scope | SsoRegistrations | Settings | KnownSecrets> =>
  Effect.gen(function*() {
    const config = yield* ssoServer(server)
    const sdk = yield* loadSsoOidc
    const registrations = yield* SsoRegistrations
    if (grantType === "device_grant") {
      return yield* deviceGrant(server, sdk, config, yield* registrations.obtain(server, "device"))
    }
    return yield* codeGrant(server, sdk, config, yield* registrations.obtain(server, "code"))
  })

/** CreateToken answers that mean the refresh token is no good: log in again. */
const REFUSED_REFRESH = new Set([
  "InvalidGrantException",
  "ExpiredTokenException",
  "InvalidClientException",
  "UnauthorizedClientException",
  "AccessDeniedException"
])

/** Refreshes with the code grant's registration, which is the one that issues refresh tokens. */
export const awsSsoRefresh = (server: ServerConfig, refreshToken: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const config = yield* ssoServer(server)
    const sdk = yield* loadSsoOidc
    const registration = yield* (yield* SsoRegistrations).existing(server, "code")
    if (registration === undefined) {
      return yield* new Unauthenticated({
        serverId: server.id,
        message: `the client registration for ${server.id} has expired, so the session cannot be refreshed`
      })
    }
    const tokens = yield* createToken(server, sdk, config, {
      clientId: registration.clientId,
      clientSecret: Redacted.value(registration.clientSecret),
      grantType: "refresh_token",
      refreshToken: Redacted.value(refreshToken)
    }).pipe(
      Effect.mapError((error): AgentError => {
        if (error instanceof Unknown) return error
        const name = asSdkError(error).name ?? ""
        return REFUSED_REFRESH.has(name)
          ? new Unauthenticated({
            serverId: server.id,
            message: `AWS refused to refresh the session with ${server.id} (${name})`
          })
          : fromSdkError(server.id, `refreshing the session with ${server.id}`, error)
      })
    )
    return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken }
  })
