import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { InvalidArgument, Unknown } from "../Schemas/AgentErrors.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import { UPSTREAM_TIMEOUT } from "../Services/CredentialBackend.js"
import { Paths } from "../Services/Paths.js"
import { type SsoGrant, type SsoRegistration, SsoRegistrations } from "../Services/SsoRegistrations.js"
import { fromSdkError } from "./AwsSdkErrors.js"
import { loadSsoOidc } from "./AwsSdk.js"

/** A registration is replaced when it has less than this left, so that no login starts with one about to expire. */
const RENEW_BEFORE_MS = 60 * 60 * 1000

/** The redirect URI registered for the code grant; the port of the real callback may differ (RFC 8252). */
export const SSO_REDIRECT_URI = "http://127.0.0.1/oauth/callback"

/** `mairu (ID@HOSTNAME)` in printable ASCII, at most 128 characters. */
export const clientName = (serverId: string, hostname: string = os.hostname()) =>
  `mairu (${serverId}@${hostname})`.replace(/[^\x20-\x7e]/g, "?").slice(0, 128)

const registrationFile = (cacheDir: string, server: ServerConfig, grant: SsoGrant) => {
  const scopes = server._tag === "AwsSso" ? server.awsSso.scope.join(" ") : ""
  const region = server._tag === "AwsSso" ? server.awsSso.region : ""
  const key = crypto.createHash("sha256").update([server.id, server.url, region, scopes, grant].join("\0")).digest("hex")
  return path.join(cacheDir, `sso-client.${key.slice(0, 32)}.json`)
}

const read = (file: string): SsoRegistration | undefined => {
  try {
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as { clientId?: unknown; clientSecret?: unknown; expiresAt?: unknown }
    if (typeof raw.clientId !== "string" || typeof raw.clientSecret !== "string" || typeof raw.expiresAt !== "string") {
      return undefined
    }
    return { clientId: raw.clientId, clientSecret: Redacted.make(raw.clientSecret), expiresAt: new Date(raw.expiresAt) }
  } catch {
    return undefined
  }
}

const write = (file: string, registration: SsoRegistration) => {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const temporary = `${file}.${process.pid}.tmp`
  fs.writeFileSync(
    temporary,
    JSON.stringify({
      clientId: registration.clientId,
      clientSecret: Redacted.value(registration.clientSecret),
      expiresAt: registration.expiresAt.toISOString()
    }),
    { mode: 0o600 }
  )
  fs.renameSync(temporary, file)
}

export const SsoRegistrationsLive = Layer.effect(
  SsoRegistrations,
  Effect.gen(function*() {
    const { cacheDir } = yield* Paths

    const kept = (server: ServerConfig, grant: SsoGrant, marginMs: number) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const registration = read(registrationFile(cacheDir, server, grant))
        return registration !== undefined && registration.expiresAt.getTime() - now > marginMs ? registration : undefined
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
            onTimeout: () => new Unknown({ message: `sso-oidc:RegisterClient for ${server.id}: no answer within ${UPSTREAM_TIMEOUT}` })
          })
        )
        if (answer.clientId === undefined || answer.clientSecret === undefined) {
          return yield* new Unknown({ message: `sso-oidc:RegisterClient for ${server.id}: the answer has no client` })
        }
        const registration: SsoRegistration = {
          clientId: answer.clientId,
          clientSecret: Redacted.make(answer.clientSecret),
          expiresAt: new Date((answer.clientSecretExpiresAt ?? 0) * 1000)
        }
        yield* Effect.try({
          try: () => write(registrationFile(cacheDir, server, grant), registration),
          catch: (error) => new Unknown({ message: `cannot keep the client registration in ${cacheDir}: ${String(error)}` })
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
