import * as Schema from "effect/Schema"

/** A logged-in server as the agent reports it; the tokens never leave the agent. */
export const SessionInfo = Schema.Struct({
  id: Schema.Int,
  serverId: Schema.String,
  serverUrl: Schema.String,
  expiresAt: Schema.Date,
  /** When the agent refreshes the session by itself, if it can. */
  renewsAt: Schema.UndefinedOr(Schema.Date)
})
export type SessionInfo = typeof SessionInfo.Type

/** What a user needs to finish a login that the agent started. */
export const LoginChallenge = Schema.Union(
  Schema.TaggedStruct("CodeGrant", {
    handle: Schema.String,
    url: Schema.String
  }),
  Schema.TaggedStruct("DeviceGrant", {
    handle: Schema.String,
    userCode: Schema.String,
    verificationUri: Schema.String,
    verificationUriComplete: Schema.UndefinedOr(Schema.String),
    expiresAt: Schema.Date
  })
)
export type LoginChallenge = typeof LoginChallenge.Type
