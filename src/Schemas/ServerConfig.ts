import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/** The grant types a user can ask for on the command line. */
export const GrantTypeFlag = Schema.Literal("code", "device_code")
export type GrantTypeFlag = typeof GrantTypeFlag.Type

export const GrantType = Schema.Literal("code_grant", "device_grant")
export type GrantType = typeof GrantType.Type

const Port = Schema.Int.pipe(Schema.between(1, 65535))

/** An optional key that may also be `null`, which means the same as leaving it out. */
const nullable = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { nullable: true })

/** `default_grant_type` as the original Mairu spells it (`code`, `device_code`), plus mairu's earlier names. */
const FileGrantType = Schema.Literal("code", "device_code", "code_grant", "device_grant")

const DeviceGrantFile = Schema.Struct({
  device_authorization_endpoint: nullable(Schema.String)
})

/**
 * `servers.d` files exactly as written on disk, in the original Mairu's format:
 * `null` stands for an absent key and unknown keys are ignored.
 */
export const ServerConfigFile = Schema.Struct({
  url: Schema.String,
  id: nullable(Schema.String),
  aws_sso: nullable(Schema.Struct({
    region: Schema.String,
    scope: nullable(Schema.Array(Schema.String)),
    local_port: nullable(Port)
  })),
  oauth: nullable(Schema.Struct({
    client_id: Schema.String,
    client_secret: nullable(Schema.String),
    token_endpoint: nullable(Schema.String),
    /** RFC 7009: where `mairu logout` revokes the refresh token. */
    revocation_endpoint: nullable(Schema.String),
    scope: nullable(Schema.Array(Schema.String)),
    device_code_grant: nullable(DeviceGrantFile),
    /** mairu's earlier name of `device_code_grant`. */
    device_grant: nullable(DeviceGrantFile),
    code_grant: nullable(Schema.Struct({
      authorization_endpoint: nullable(Schema.String),
      local_port: nullable(Port),
      use_localhost: nullable(Schema.Boolean)
    })),
    default_grant_type: nullable(FileGrantType),
    /** When a dynamically registered client stops working; its refresh tokens are not used after it. */
    client_expires_at: nullable(Schema.Date)
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
  defaultGrantType: GrantType,
  clientExpiresAt: Schema.optional(Schema.Date)
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

const fileGrantType = (value: typeof FileGrantType.Type | undefined): GrantType | undefined =>
  value === undefined ? undefined : value === "code" || value === "code_grant" ? "code_grant" : "device_grant"

/**
 * A server file's content as the configuration mairu works with, every default filled in;
 * Left with the reason when the file's keys do not make a usable server.
 */
export const fromFile = (file: ServerConfigFile, path: string): Either.Either<ServerConfig, string> => {
  if (!URL.canParse(file.url)) return Either.left(`"url" is not a URL: ${JSON.stringify(file.url)}`)
  const url = new URL(file.url).toString()
  const badEndpoint = [
    file.oauth?.token_endpoint,
    file.oauth?.revocation_endpoint,
    file.oauth?.code_grant?.authorization_endpoint,
    (file.oauth?.device_code_grant ?? file.oauth?.device_grant)?.device_authorization_endpoint
  ].find((endpoint) => endpoint !== undefined && !URL.canParse(endpoint, url))
  if (badEndpoint !== undefined) return Either.left(`an endpoint is not a URL: ${JSON.stringify(badEndpoint)}`)
  const id = file.id ?? url
  if (file.aws_sso !== undefined && file.oauth !== undefined) {
    return Either.left("has both \"aws_sso\" and \"oauth\"; keep exactly one")
  }
  if (file.aws_sso !== undefined) {
    return Either.right({
      _tag: "AwsSso",
      id,
      url,
      path,
      awsSso: {
        region: file.aws_sso.region,
        scope: file.aws_sso.scope ?? ["sso:account:access"],
        localPort: file.aws_sso.local_port
      }
    })
  }
  const oauth = file.oauth
  if (oauth === undefined) {
    return Either.left("needs an \"aws_sso\" or an \"oauth\" block")
  }
  const deviceGrant = oauth.device_code_grant ?? oauth.device_grant
  if (oauth.code_grant === undefined && deviceGrant === undefined) {
    return Either.left("\"oauth\" needs \"code_grant\" or \"device_code_grant\" (an empty object counts)")
  }
  const defaultGrantType = fileGrantType(oauth.default_grant_type) ??
    (oauth.code_grant !== undefined ? "code_grant" : "device_grant")
  if (defaultGrantType === "code_grant" && oauth.code_grant === undefined) {
    return Either.left("\"oauth.default_grant_type\" is \"code\" but there is no \"code_grant\" block")
  }
  if (defaultGrantType === "device_grant" && deviceGrant === undefined) {
    return Either.left("\"oauth.default_grant_type\" is \"device_code\" but there is no \"device_code_grant\" block")
  }
  return Either.right({
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
      deviceGrant: deviceGrant === undefined ? undefined : {
        deviceAuthorizationEndpoint: resolveEndpoint(url, deviceGrant.device_authorization_endpoint ?? "oauth/device")
      },
      codeGrant: oauth.code_grant === undefined ? undefined : {
        authorizationEndpoint: resolveEndpoint(url, oauth.code_grant.authorization_endpoint ?? "oauth/authorize"),
        localPort: oauth.code_grant.local_port,
        useLocalhost: oauth.code_grant.use_localhost ?? false
      },
      defaultGrantType,
      ...(oauth.client_expires_at === undefined ? {} : { clientExpiresAt: oauth.client_expires_at })
    }
  })
}
