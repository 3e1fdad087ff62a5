import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { InvalidArgument, Unknown } from "../../Schemas/AgentErrors.js"
import type { AwsCredentials, RoleInfo } from "../../Schemas/Credentials.js"
import type { ServerConfig } from "../../Schemas/ServerConfig.js"
import { UPSTREAM_TIMEOUT } from "../Services/CredentialBackend.js"
import { loadSso } from "./Sdk.js"
import { fromSdkError } from "./SdkErrors.js"

const ROLE = /^(\d{12})\/([\w+=,.@-]{1,64})$/

/** `ACCOUNT_ID/PERMISSION_SET` → its parts, or a clear error naming the expected form. */
export const parseSsoRole = (role: string) => {
  const match = ROLE.exec(role)
  return match === null
    ? Effect.fail(
      new InvalidArgument({
        message: `"${role}" is not an AWS IAM Identity Center role; write it ACCOUNT_ID/PERMISSION_SET, ` +
          `e.g. 123456789012/AdministratorAccess (mairu list-roles shows them)`
      })
    )
    : Effect.succeed({ accountId: match[1]!, roleName: match[2]! })
}

type AwsSsoServer = Extract<ServerConfig, { readonly _tag: "AwsSso" }>

const ssoClient = (sdk: Effect.Effect.Success<typeof loadSso>, server: AwsSsoServer) =>
  new sdk.SSOClient({
    region: server.awsSso.region,
    // The SDK's standard retry: bounded attempts with backoff on throttling and 5xx.
    maxAttempts: 3
  })

const call = <A>(server: ServerConfig, what: string, send: (signal: AbortSignal) => Promise<A>) =>
  Effect.tryPromise({ try: send, catch: (error) => fromSdkError(server.id, what, error) }).pipe(
    Effect.timeoutFail({
      duration: UPSTREAM_TIMEOUT,
      onTimeout: () => new Unknown({ message: `${what}: no answer within ${UPSTREAM_TIMEOUT}` })
    })
  )

export const awsSsoAssumeRole = (server: AwsSsoServer, accessToken: Redacted.Redacted<string>, role: string) =>
  Effect.gen(function*() {
    const { accountId, roleName } = yield* parseSsoRole(role)
    const sdk = yield* loadSso
    const answer = yield* call(
      server,
      `sso:GetRoleCredentials ${role} at ${server.id}`,
      (abortSignal) =>
        ssoClient(sdk, server).send(
          new sdk.GetRoleCredentialsCommand({ accountId, roleName, accessToken: Redacted.value(accessToken) }),
          { abortSignal }
        )
    )
    const c = answer.roleCredentials
    if (c?.accessKeyId === undefined || c.secretAccessKey === undefined) {
      return yield* new Unknown({ message: `sso:GetRoleCredentials ${role}: the answer has no credentials` })
    }
    return {
      accessKeyId: c.accessKeyId,
      secretAccessKey: Redacted.make(c.secretAccessKey),
      sessionToken: c.sessionToken === undefined ? undefined : Redacted.make(c.sessionToken),
      // AWS SSO states the expiration in epoch milliseconds.
      expiration: c.expiration === undefined ? undefined : new Date(c.expiration),
      noCache: false
    } satisfies AwsCredentials
  })

/** Every `ACCOUNT_ID/ROLE` pair across all pages of ListAccounts and ListAccountRoles, sorted, described `ACCOUNT_NAME (EMAIL)`. */
export const awsSsoListRoles = (server: AwsSsoServer, accessToken: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const sdk = yield* loadSso
    const client = ssoClient(sdk, server)
    const token = Redacted.value(accessToken)
    const accounts = yield* call(server, `sso:ListAccounts at ${server.id}`, async () => {
      const all: Array<{ accountId: string; description: string }> = []
      for await (const page of sdk.paginateListAccounts({ client }, { accessToken: token })) {
        for (const a of page.accountList ?? []) {
          if (a.accountId !== undefined) {
            all.push({ accountId: a.accountId, description: `${a.accountName ?? "?"} (${a.emailAddress ?? "?"})` })
          }
        }
      }
      return all
    })
    const roles = yield* Effect.forEach(
      accounts,
      (account) =>
        call(server, `sso:ListAccountRoles ${account.accountId} at ${server.id}`, async () => {
          const all: Array<RoleInfo> = []
          for await (
            const page of sdk.paginateListAccountRoles({ client }, { accessToken: token, accountId: account.accountId })
          ) {
            for (const r of page.roleList ?? []) {
              if (r.roleName !== undefined) {
                all.push({ name: `${account.accountId}/${r.roleName}`, description: account.description })
              }
            }
          }
          return all
        }),
      { concurrency: 4 }
    )
    return roles.flat().sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  })
