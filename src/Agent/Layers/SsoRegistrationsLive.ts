import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { readOwnFile } from "../../Files/FileOwner.js"
import { InvalidArgument, Unknown } from "../../Schemas/AgentErrors.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { Paths } from "../../Services/Paths.js"
import { loadSsoOidc } from "../Aws/Sdk.js"
import { fromSdkError } from "../Aws/SdkErrors.js"
import { UPSTREAM_TIMEOUT } from "../Services/CredentialBackend.js"
import { type SsoGrant, type SsoRegistration, SsoRegistrations } from "../Services/SsoRegistrations.js"

/** A registration is replaced when it has less than this left, so that no login starts with one about to expire. */
const RENEW_BEFORE_MS = 60 * 60 * 1000

/** The redirect URI registered for the code grant; the port of the real callback may differ (RFC 8252). */
export const SSO_REDIRECT_URI = "http://127.0.0.1/oauth/callback"

/** `mairu (ID@HOSTNAME)` in printable ASCII, at most 128 characters. */
export const clientName = (serverId: string, hostname: string = os.hostname()) =>
  `mairu (${serverId}@${hostname})`.replace(/[^\x20-\x7e]/g, "?").slice(0, 128)

/** The cache format's version; the original Mairu ignores (and replaces) files of an older epoch. */
const EPOCH = 3

/** What AWS registrations last when an answer does not say (RegisterClient's documented 90 days). */
const DEFAULT_REGISTRATION_MS = 90 * 24 * 60 * 60 * 1000

/**
 * The original Mairu's cache key: base64url(SHA-256("v0\0\0" id "\0\0" url "\0\0" region "\0\0" scopes)),
 * so that both tools share one registration per server and grant.
 */
export const registrationKey = (server: ServerConfig): string => {
  const region = server._tag === "AwsSso" ? server.awsSso.region : ""
  const scopes = server._tag === "AwsSso" ? server.awsSso.scope.join(" ") : ""
  return crypto.createHash("sha256")
    .update("v0\0\0").update(server.id)
    .update("\0\0").update(server.url)
    .update("\0\0").update(region)
    .update("\0\0").update(scopes)
    .digest("base64url")
}

/** `awssso_c.KEY.code.json` / `awssso_c.KEY.device.json`, the original Mairu's cache files. */
export const registrationFile = (cacheDir: string, server: ServerConfig, grant: SsoGrant) =>
  path.join(cacheDir, `awssso_c.${registrationKey(server)}.${grant}.json`)

/** Where mairu kept registrations before it shared the original's files; still read. */
const earlierRegistrationFile = (cacheDir: string, server: ServerConfig, grant: SsoGrant) => {
  const scopes = server._tag === "AwsSso" ? server.awsSso.scope.join(" ") : ""
  const region = server._tag === "AwsSso" ? server.awsSso.region : ""
  const key = crypto.createHash("sha256").update([server.id, server.url, region, scopes, grant].join("\0")).digest(
    "hex"
  )
  return path.join(cacheDir, `sso-client.${key.slice(0, 32)}.json`)
}

const validDate = (value: unknown): Date | undefined => {
  if (typeof value !== "string") return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/**
 * The JSON in a cache file, or undefined when there is none or it cannot be used (said in the log
 * when something is there): a file of another user, not a regular file, or one over MAX_FILE_BYTES.
 */
const readCacheFile = (file: string): Effect.Effect<unknown> =>
  Effect.suspend(() => {
    const read = readOwnFile(file, { notWritableByOthers: false })
    if (read.ok) {
      return Effect.try(() => JSON.parse(read.bytes.toString("utf8")) as unknown).pipe(
        Effect.orElseSucceed(() => undefined)
      )
    }
    if (read.missing) return Effect.succeed(undefined)
    return Effect.logWarning(`not using the cached client registration ${file}: ${read.reason}`).pipe(
      Effect.as(undefined)
    )
  })

/** A cache file of the original's format; files of an older epoch do not count, as for the original. */
const fromOriginal = (json: unknown): SsoRegistration | undefined => {
  try {
    const raw = json as Record<string, unknown>
    const expiresAt = validDate(raw.expires_at)
    const epoch = raw.epoch ?? 0
    if (
      typeof raw.client_id !== "string" || typeof raw.client_secret !== "string" || typeof raw.id !== "string" ||
      expiresAt === undefined || validDate(raw.issued_at) === undefined || typeof epoch !== "number" || epoch < EPOCH
    ) {
      return undefined
    }
    return { clientId: raw.client_id, clientSecret: Redacted.make(raw.client_secret), expiresAt }
  } catch {
    return undefined
  }
}

const fromEarlier = (json: unknown): SsoRegistration | undefined => {
  try {
    const raw = json as {
      clientId?: unknown
      clientSecret?: unknown
      expiresAt?: unknown
    }
    const expiresAt = validDate(raw.expiresAt)
    if (typeof raw.clientId !== "string" || typeof raw.clientSecret !== "string" || expiresAt === undefined) {
      return undefined
    }
    return { clientId: raw.clientId, clientSecret: Redacted.make(raw.clientSecret), expiresAt }
  } catch {
    return undefined
  }
}

/** The original Mairu's cache file, byte for byte: pretty JSON, a newline, mode 0600. */
export const registrationText = (serverId: string, registration: SsoRegistration, issuedAt: Date): string =>
  JSON.stringify(
    {
      id: serverId,
      epoch: EPOCH,
      issued_at: wholeSeconds(issuedAt),
      expires_at: wholeSeconds(registration.expiresAt),
      client_id: registration.clientId,
      client_secret: Redacted.value(registration.clientSecret)
    },
    null,
    2
  ) + "\n"

/** AWS gives these times in whole seconds; so does the original's file. */
const wholeSeconds = (date: Date) =>
  new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z")

const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const temporary = `${file}.${process.pid}.tmp`
  fs.writeFileSync(temporary, text, { mode: 0o600 })
  fs.renameSync(temporary, file)
}

export const SsoRegistrationsLive = Layer.effect(
  SsoRegistrations,
  Effect.gen(function*() {
    const { cacheDir } = yield* Paths

    const kept = (server: ServerConfig, grant: SsoGrant, marginMs: number) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const usable = (registration: SsoRegistration | undefined) =>
          registration !== undefined && registration.expiresAt.getTime() - now > marginMs ? registration : undefined
        const file = registrationFile(cacheDir, server, grant)
        const original = usable(fromOriginal(yield* readCacheFile(file)))
        if (original !== undefined) return original
        const earlier = usable(fromEarlier(yield* readCacheFile(earlierRegistrationFile(cacheDir, server, grant))))
        if (earlier !== undefined) {
          // Kept in the shared format too, so that the original Mairu finds it as well.
          yield* Effect.sync(() => {
            try {
              write(file, registrationText(server.id, earlier, new Date(now)))
            } catch {
              // Still usable from the earlier file; the next registration writes the shared one.
            }
          })
        }
        return earlier
      })

    const register = (server: ServerConfig, grant: SsoGrant) =>
      Effect.gen(function*() {
        if (server._tag !== "AwsSso") {
          return yield* new InvalidArgument({ message: `${server.id} is not an AWS IAM Identity Center server` })
        }
        const sdk = yield* loadSsoOidc
        const client = new sdk.SSOOIDCClient({ region: server.awsSso.region, maxAttempts: 3 })
        const answer = yield* Effect.tryPromise({
          try: (abortSignal) =>
            client.send(
              new sdk.RegisterClientCommand({
                clientName: clientName(server.id),
                clientType: "public",
                scopes: [...server.awsSso.scope],
                ...(grant === "code"
                  ? {
                    grantTypes: ["authorization_code", "refresh_token"],
                    redirectUris: [SSO_REDIRECT_URI],
                    issuerUrl: server.url
                  }
                  : {})
              }),
              { abortSignal }
            ),
          catch: (error) => fromSdkError(server.id, `sso-oidc:RegisterClient for ${server.id}`, error)
        }).pipe(
          Effect.timeoutFail({
            duration: UPSTREAM_TIMEOUT,
            onTimeout: () =>
              new Unknown({ message: `sso-oidc:RegisterClient for ${server.id}: no answer within ${UPSTREAM_TIMEOUT}` })
          })
        )
        if (answer.clientId === undefined || answer.clientSecret === undefined) {
          return yield* new Unknown({ message: `sso-oidc:RegisterClient for ${server.id}: the answer has no client` })
        }
        const now = yield* Clock.currentTimeMillis
        const issuedAt = answer.clientIdIssuedAt ? new Date(answer.clientIdIssuedAt * 1000) : new Date(now)
        const registration: SsoRegistration = {
          clientId: answer.clientId,
          clientSecret: Redacted.make(answer.clientSecret),
          // Without an expiry (0 or absent), count on the documented lifetime rather than registering at every login.
          expiresAt: answer.clientSecretExpiresAt
            ? new Date(answer.clientSecretExpiresAt * 1000)
            : new Date(issuedAt.getTime() + DEFAULT_REGISTRATION_MS)
        }
        yield* Effect.try({
          try: () =>
            write(registrationFile(cacheDir, server, grant), registrationText(server.id, registration, issuedAt)),
          catch: (error) =>
            new Unknown({ message: `cannot keep the client registration in ${cacheDir}: ${String(error)}` })
        })
        return registration
      })

    return {
      existing: (server, grant) => kept(server, grant, 0),
      obtain: (server, grant) =>
        kept(server, grant, RENEW_BEFORE_MS).pipe(
          Effect.flatMap((kept) => kept !== undefined ? Effect.succeed(kept) : register(server, grant))
        )
    }
  })
)
