import * as Schema from "effect/Schema"
import { AgentError } from "./AgentErrors.js"
import { AwsCredentials, RoleInfo } from "./Credentials.js"
import { GrantType, ServerConfig } from "./ServerConfig.js"
import { LoginChallenge, SessionInfo } from "./Session.js"

/**
 * The agent protocol: one JSON object per line in each direction over the unix
 * socket. A request line is `{"v":PROTOCOL_VERSION,"id":N,"request":{_tag,...}}`;
 * the answer is `{"id":N,"exit":EXIT}` with the request's Exit encoded by its own
 * schemas. A request from a client of another version (or protocol) is answered with
 * `{"id":N,"mismatch":{...}}`, except Shutdown, so that `mairu kill-agent` always works.
 */
export const PROTOCOL_VERSION = 1

/** Lines longer than this are refused and the connection closed. */
export const MAX_LINE_BYTES = 1024 * 1024

export const AssumeRoleChain = Schema.Struct({
  roleArn: Schema.String,
  roleSessionName: Schema.UndefinedOr(Schema.String),
  durationSeconds: Schema.UndefinedOr(Schema.Int),
  externalId: Schema.UndefinedOr(Schema.String)
})
export type AssumeRoleChain = typeof AssumeRoleChain.Type

export const AgentStatus = Schema.Struct({
  version: Schema.String,
  protocol: Schema.Int,
  pid: Schema.Int,
  startedAt: Schema.Date,
  /** What the agent could do against core dumps and debuggers (see src/Plain/Hardening.ts). */
  hardening: Schema.Struct({
    coreDumpsOff: Schema.Boolean,
    debuggersBlocked: Schema.Boolean,
    problem: Schema.optional(Schema.String)
  })
})
export type AgentStatus = typeof AgentStatus.Type

export class Hello extends Schema.TaggedRequest<Hello>()("Hello", {
  failure: AgentError,
  success: AgentStatus,
  payload: {}
}) {}

/**
 * A server the agent looks up itself in `serversDir` (by id, then url), so that a
 * client need not load the configuration: the fast `credential-process` and `exec` paths.
 * Files it had to skip come back as notices.
 */
export const ServerByName = Schema.TaggedStruct("ServerByName", { serversDir: Schema.String, name: Schema.String })

export class GetCredentials extends Schema.TaggedRequest<GetCredentials>()("GetCredentials", {
  failure: AgentError,
  success: AwsCredentials,
  payload: {
    server: Schema.Union(ServerConfig, ServerByName),
    role: Schema.String,
    assumeRole: Schema.UndefinedOr(AssumeRoleChain),
    noCache: Schema.Boolean
  }
}) {}

/** A server looked up by the agent, as the fast `exec` path needs its id and settings. */
export class ResolveServer extends Schema.TaggedRequest<ResolveServer>()("ResolveServer", {
  failure: AgentError,
  success: ServerConfig,
  payload: { server: ServerByName }
}) {}

export class ListRoles extends Schema.TaggedRequest<ListRoles>()("ListRoles", {
  failure: AgentError,
  success: Schema.Array(RoleInfo),
  payload: { server: ServerConfig }
}) {}

export class ListSessions extends Schema.TaggedRequest<ListSessions>()("ListSessions", {
  failure: AgentError,
  success: Schema.Array(SessionInfo),
  payload: {}
}) {}

export class RefreshSession extends Schema.TaggedRequest<RefreshSession>()("RefreshSession", {
  failure: AgentError,
  success: SessionInfo,
  payload: { server: ServerConfig }
}) {}

export class StartLogin extends Schema.TaggedRequest<StartLogin>()("StartLogin", {
  failure: AgentError,
  success: Schema.Struct({ challenge: LoginChallenge, joined: Schema.Boolean }),
  payload: { server: ServerConfig, grantType: Schema.UndefinedOr(GrantType) }
}) {}

export class CompleteLogin extends Schema.TaggedRequest<CompleteLogin>()("CompleteLogin", {
  failure: AgentError,
  success: SessionInfo,
  payload: { handle: Schema.String }
}) {}

/** Registers (or reuses) the OAuth client of an AWS SSO server, as `setup-sso` does. */
export class RegisterClient extends Schema.TaggedRequest<RegisterClient>()("RegisterClient", {
  failure: AgentError,
  success: Schema.Struct({ expiresAt: Schema.Date }),
  payload: { server: ServerConfig, grantType: GrantType }
}) {}

export class Shutdown extends Schema.TaggedRequest<Shutdown>()("Shutdown", {
  failure: AgentError,
  success: Schema.Void,
  payload: {}
}) {}

export const AgentRequest = Schema.Union(
  Hello,
  GetCredentials,
  ResolveServer,
  ListRoles,
  ListSessions,
  RefreshSession,
  StartLogin,
  CompleteLogin,
  RegisterClient,
  Shutdown
)
export type AgentRequest = typeof AgentRequest.Type

export const RequestEnvelope = Schema.Struct({
  v: Schema.Int,
  id: Schema.Int,
  version: Schema.String,
  request: Schema.Unknown
})

export const ResponseEnvelope = Schema.Struct({
  id: Schema.Int,
  exit: Schema.optional(Schema.Unknown),
  /** Warnings for the user that the agent met while answering (skipped server files). */
  notices: Schema.optional(Schema.Array(Schema.String)),
  mismatch: Schema.optional(Schema.Struct({ protocol: Schema.Int, version: Schema.String }))
})
