import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/** The grant types a user can ask for on the command line. */
export const GrantTypeFlag = Schema.Literal("code", "device_code")
export type GrantTypeFlag = typeof GrantTypeFlag.Type

export const GrantType = Schema.Literal("code_grant", "device_grant")
export type GrantType = typeof GrantType.Type

const Port = Schema.Int.pipe(Schema.between(1, 65535))

/** `servers.d/*.json` exactly as written on disk (reference §2.1). */
export const ServerConfigFile = Schema.Struct({
  url: Schema.String,
  id: Schema.optional(Schema.String),
  aws_sso: Schema.optional(Schema.Struct({
    region: Schema.String,
    scope: Schema.optional(Schema.Array(Schema.String)),
    local_port: Schema.optional(Port)
  })),
  oauth: Schema.optional(Schema.Struct({
    client_id: Schema.String,
    client_secret: Schema.optional(Schema.String),
    token_endpoint: Schema.optional(Schema.String),
    /** RFC 7009: where `mairu logout` revokes the refresh token. */
    revocation_endpoint: Schema.optional(Schema.String),
    scope: Schema.optional(Schema.Array(Schema.String)),
    device_grant: Schema.optional(Schema.Struct({
      device_authorization_endpoint: Schema.optional(Schema.String)
    })),
    code_grant: Schema.optional(Schema.Struct({
      authorization_endpoint: Schema.optional(Schema.String),
      local_port: Schema.optional(Port),
      use_localhost: Schema.optional(Schema.Boolean)
    })),
    default_grant_type: Schema.optional(GrantType)
  }))
})
export type ServerConfigFile = typeof ServerConfigFile.Type

export const CodeGrantConfig = Schema.Struct({
  authorizationEndpoint: Schema.String,
  localPort: Schema.UndefinedOr(Port),
  useLocalhost: Schema.Boolean
})
export type CodeGrantConfig = typeof CodeGrantConfig.Type

export const OAuthConfig = Schema.Struct({
  clientId: Schema.String,
  clientSecret: Schema.UndefinedOr(Schema.Redacted(Schema.String)),
  tokenEndpoint: Schema.String,
  revocationEndpoint: Schema.optional(Schema.String),
  scope: Schema.Array(Schema.String),
  deviceGrant: Schema.UndefinedOr(Schema.Struct({ deviceAuthorizationEndpoint: Schema.String })),
  codeGrant: Schema.UndefinedOr(CodeGrantConfig),
  defaultGrantType: GrantType
})
export type OAuthConfig = typeof OAuthConfig.Type

export const AwsSsoConfig = Schema.Struct({
  region: Schema.String,
  scope: Schema.Array(Schema.String),
  localPort: Schema.UndefinedOr(Port)
})
export type AwsSsoConfig = typeof AwsSsoConfig.Type

const serverFields = { id: Schema.String, url: Schema.String, path: Schema.String }

/** A server configuration with every default applied and every endpoint resolved; it stays in the agent. */
export const ServerConfig = Schema.Union(
  Schema.TaggedStruct("MairuApi", { ...serverFields, oauth: OAuthConfig }),
  Schema.TaggedStruct("AwsSso", { ...serverFields, awsSso: AwsSsoConfig })
)
export type ServerConfig = typeof ServerConfig.Type

/** Resolves `relative` against `base` with URL rules (`https://h/base/` + `oauth/token`). */
export const resolveEndpoint = (base: string, relative: string): string => new URL(relative, base).toString()

export class InvalidServerConfig extends Error {}

export const fromFile = (file: ServerConfigFile, path: string): ServerConfig => {
  const url = new URL(file.url).toString()
  const id = file.id ?? file.url
  if (file.aws_sso !== undefined && file.oauth !== undefined) {
    throw new InvalidServerConfig("has both \"aws_sso\" and \"oauth\"; keep exactly one")
  }
  if (file.aws_sso !== undefined) {
    return {
      _tag: "AwsSso",
      id,
      url,
      path,
      awsSso: {
        region: file.aws_sso.region,
        scope: file.aws_sso.scope ?? ["sso:account:access"],
        localPort: file.aws_sso.local_port
      }
    }
  }
  const oauth = file.oauth
  if (oauth === undefined) {
    throw new InvalidServerConfig("needs an \"aws_sso\" or an \"oauth\" block")
  }
  if (oauth.code_grant === undefined && oauth.device_grant === undefined) {
    throw new InvalidServerConfig("\"oauth\" needs \"code_grant\" or \"device_grant\" (an empty object counts)")
  }
  const defaultGrantType = oauth.default_grant_type ?? (oauth.code_grant !== undefined ? "code_grant" : "device_grant")
  if (defaultGrantType === "code_grant" && oauth.code_grant === undefined) {
    throw new InvalidServerConfig("\"default_grant_type\" is \"code_grant\" but there is no \"code_grant\" block")
  }
  if (defaultGrantType === "device_grant" && oauth.device_grant === undefined) {
    throw new InvalidServerConfig("\"default_grant_type\" is \"device_grant\" but there is no \"device_grant\" block")
  }
  return {
    _tag: "MairuApi",
    id,
    url,
    path,
    oauth: {
      clientId: oauth.client_id,
      clientSecret: oauth.client_secret === undefined ? undefined : Redacted.make(oauth.client_secret),
      tokenEndpoint: resolveEndpoint(url, oauth.token_endpoint ?? "oauth/token"),
      ...(oauth.revocation_endpoint === undefined
        ? {}
        : { revocationEndpoint: resolveEndpoint(url, oauth.revocation_endpoint) }),
      scope: oauth.scope ?? ["profile"],
      deviceGrant: oauth.device_grant === undefined ? undefined : {
        deviceAuthorizationEndpoint: resolveEndpoint(
          url,
          oauth.device_grant.device_authorization_endpoint ?? "oauth/device"
        )
      },
      codeGrant: oauth.code_grant === undefined ? undefined : {
        authorizationEndpoint: resolveEndpoint(url, oauth.code_grant.authorization_endpoint ?? "oauth/authorize"),
        localPort: oauth.code_grant.local_port,
        useLocalhost: oauth.code_grant.use_localhost ?? false
      },
      defaultGrantType
    }
  }
}
