import * as Schema from "effect/Schema"

/**
 * The failure kinds that cross the agent socket. Clients act on the tag, never
 * on the message: Unauthenticated starts a login, the others are reported.
 */
export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  serverId: Schema.String,
  message: Schema.String
}) {}

export class PermissionDenied extends Schema.TaggedError<PermissionDenied>()("PermissionDenied", {
  message: Schema.String
}) {}

export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}) {}

export class InvalidArgument extends Schema.TaggedError<InvalidArgument>()("InvalidArgument", {
  message: Schema.String
}) {}

/** A restricted socket (`mairu forward-socket`) does not serve this request. */
export class NotAllowed extends Schema.TaggedError<NotAllowed>()("NotAllowed", {
  message: Schema.String
}) {}

export class ResourceExhausted extends Schema.TaggedError<ResourceExhausted>()("ResourceExhausted", {
  message: Schema.String
}) {}

export class Unknown extends Schema.TaggedError<Unknown>()("Unknown", {
  message: Schema.String
}) {}

export const AgentError = Schema.Union(
  Unauthenticated,
  PermissionDenied,
  NotFound,
  InvalidArgument,
  NotAllowed,
  ResourceExhausted,
  Unknown
)
export type AgentError = typeof AgentError.Type
