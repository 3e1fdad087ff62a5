import * as Schema from "effect/Schema"

/** AWS credentials as held in the agent's memory and sent over its socket. */
export const AwsCredentials = Schema.Struct({
  accessKeyId: Schema.String,
  secretAccessKey: Schema.Redacted(Schema.String),
  sessionToken: Schema.UndefinedOr(Schema.Redacted(Schema.String)),
  expiration: Schema.UndefinedOr(Schema.Date),
  noCache: Schema.Boolean
})
export type AwsCredentials = typeof AwsCredentials.Type

/** What `POST {url}/assume-role` answers. */
export const MairuAssumeRoleResponse = Schema.Struct({
  Version: Schema.Literal(1),
  AccessKeyId: Schema.NonEmptyString,
  SecretAccessKey: Schema.NonEmptyString,
  SessionToken: Schema.optionalWith(Schema.String, { nullable: true }),
  Expiration: Schema.Date,
  Mairu: Schema.optionalWith(Schema.Struct({ NoCache: Schema.optionalWith(Schema.Boolean, { nullable: true }) }), {
    nullable: true
  })
})
export type MairuAssumeRoleResponse = typeof MairuAssumeRoleResponse.Type

/** What `GET {url}/roles` answers. */
export const MairuRolesResponse = Schema.Struct({
  Roles: Schema.Array(Schema.Struct({
    Name: Schema.String,
    Description: Schema.optional(Schema.NullOr(Schema.String))
  }))
})

export const RoleInfo = Schema.Struct({
  name: Schema.String,
  description: Schema.UndefinedOr(Schema.String)
})
export type RoleInfo = typeof RoleInfo.Type
