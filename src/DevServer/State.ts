import * as crypto from "node:crypto"

/** How an endpoint misbehaves on purpose, for tests. */
export type FaultMode = "none" | "500" | "hang" | "invalid-json" | "401" | "404" | "405" | "no-expiration"
export const FAULT_MODES: ReadonlyArray<FaultMode> = [
  "none",
  "500",
  "hang",
  "invalid-json",
  "401",
  "404",
  "405",
  "no-expiration"
]
export type FaultTarget = "assumeRole" | "roles" | "token" | "sso"

/** AWS credentials this server issued; STS verifies signatures against them. */
export interface IssuedKey {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string
  readonly expiration: Date
  readonly account: string
  readonly arn: string
  readonly userId: string
}

export interface AssumeRoleCall {
  readonly roleArn: string
  readonly roleSessionName: string
  readonly externalId: string | null
  readonly durationSeconds: number | null
}

const ALNUM_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

const randomFrom = (alphabet: string, length: number) => {
  const bytes = crypto.randomBytes(length)
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("")
}

/** A role as `GET /roles` lists it. */
export interface ListedRole {
  readonly Name: string
  readonly Description?: string
}

export const DEFAULT_ROLES: ReadonlyArray<ListedRole> = [
  { Name: "123456789012/Developer", Description: "Develop the demo application" },
  { Name: "123456789012/ReadOnly", Description: "Look, do not touch" },
  { Name: "demo", Description: "The demo role" }
]

/** Everything the dev server remembers, in memory only. */
export class DevState {
  readonly keys = new Map<string, IssuedKey>()
  readonly secrets = new Set<string>()
  readonly faults: Record<FaultTarget, FaultMode> = { assumeRole: "none", roles: "none", token: "none", sso: "none" }
  /** What `GET /roles` lists; tests replace it through `/_admin/roles`. */
  roles: ReadonlyArray<ListedRole> = DEFAULT_ROLES
  /** The AWS SSO device grant's pages, as a hostile server would send them; tests set them through `/_admin/sso/device-pages`. */
  ssoDevicePages: { readonly verificationUri?: string; readonly verificationUriComplete?: string } = {}
  readonly stats = {
    assumeRole: {} as Record<string, number>,
    roles: 0,
    /** The User-Agent of every Mairu API request, in order. */
    apiUserAgents: [] as Array<string>,
    /** Grants revoked through the RFC 7009 revocation endpoint (`/oauth/revoke`). */
    revocations: 0,
    token: { authorization_code: 0, refresh_token: 0, device_code: 0 } as Record<string, number>,
    sts: { GetCallerIdentity: 0, AssumeRole: 0 } as Record<string, number>,
    assumeRoleCalls: [] as Array<AssumeRoleCall>,
    sso: {
      registerClient: 0,
      createToken: { authorization_code: 0, refresh_token: 0, device_code: 0 } as Record<string, number>,
      getRoleCredentials: {} as Record<string, number>
    }
  }

  constructor(readonly credentialTtlSeconds: number) {}

  recordSecret(value: string | undefined) {
    if (value !== undefined && value !== "") this.secrets.add(value)
  }

  issueKey(account: string, roleName: string, sessionName: string, ttlSeconds: number): IssuedKey {
    const key: IssuedKey = {
      accessKeyId: "ASIA" + randomFrom(ALNUM_UPPER, 16),
      secretAccessKey: crypto.randomBytes(30).toString("base64"),
      sessionToken: crypto.randomBytes(96).toString("base64"),
      expiration: new Date(Date.now() + ttlSeconds * 1000),
      account,
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      userId: `AROA${randomFrom(ALNUM_UPPER, 17)}:${sessionName}`
    }
    this.keys.set(key.accessKeyId, key)
    this.recordSecret(key.secretAccessKey)
    this.recordSecret(key.sessionToken)
    return key
  }
}

/** `123456789012/Name` → account and role name; anything else is a role of the default account. */
export const splitRole = (role: string) => {
  const match = /^(\d{12})\/(.+)$/.exec(role)
  return match === null
    ? { account: "123456789012", roleName: role.replace(/\//g, "-") }
    : { account: match[1]!, roleName: match[2]!.replace(/\//g, "-") }
}

export const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z")
