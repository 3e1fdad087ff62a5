import * as Schema from "effect/Schema"
import { AgentError } from "./AgentErrors.js"
import { AuditEntry, HandOutVia, ReportedRequester } from "./Audit.js"
import { AwsCredentials, RoleInfo } from "./Credentials.js"
import { MAX_HAND_OUTS_PER_RECORD } from "./ProtocolVersion.js"
import { GrantType, type ServerConfig } from "./ServerConfig.js"
import { LoginChallenge, SessionInfo } from "./Session.js"

/**
 * The agent protocol: one JSON object per line in each direction over the unix
 * socket. A request line is `{"v":PROTOCOL_VERSION,"id":N,"request":{_tag,...}}`;
 * the answer is `{"id":N,"exit":EXIT}` with the request's Exit encoded by its own
 * schemas. A request from a client of another version (or protocol) is answered with
 * `{"id":N,"mismatch":{...}}`, except Shutdown, so that `mairu kill-agent` always works.
 */

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
  /** What the agent could do against core dumps and debuggers (see src/Platform/Hardening.ts). */
  hardening: Schema.Struct({
    coreDumpsOff: Schema.Boolean,
    debuggersBlocked: Schema.Boolean,
    inspectorClosed: Schema.Boolean,
    problem: Schema.optional(Schema.String)
  }),
  /** The audit trail: entries held in memory, and the file MAIRU_AUDIT_LOG names, with why it is not written. */
  audit: Schema.Struct({
    entries: Schema.Int,
    file: Schema.UndefinedOr(Schema.String),
    problem: Schema.UndefinedOr(Schema.String)
  })
})
export type AgentStatus = typeof AgentStatus.Type

export class Hello extends Schema.TaggedRequest<Hello>()("Hello", {
  failure: AgentError,
  success: AgentStatus,
  payload: {}
}) {}

/**
 * A server as the client named it (id or url). The agent looks it up in its own
 * `servers.d`, never in a configuration the client sends, so that a client on
 * another host (a forwarded socket) uses the agent's servers and cannot point a
 * name at another URL. Files the agent had to skip come back as notices.
 */
export const ServerName = Schema.String

/** What a client learns about one of the agent's servers (never its OAuth client secret). */
export const ServerSummary = Schema.Struct({
  id: Schema.String,
  url: Schema.String,
  kind: Schema.Literal("aws_sso", "mairu_api"),
  /** The server's file, on the agent's machine. */
  file: Schema.String,
  /** The region of an AWS IAM Identity Center server. */
  region: Schema.optional(Schema.String)
})
export type ServerSummary = typeof ServerSummary.Type

export const serverSummary = (server: ServerConfig): ServerSummary => ({
  id: server.id,
  url: server.url,
  kind: server._tag === "AwsSso" ? "aws_sso" : "mairu_api",
  file: server.path,
  ...(server._tag === "AwsSso" ? { region: server.awsSso.region } : {})
})

export class GetCredentials extends Schema.TaggedRequest<GetCredentials>()("GetCredentials", {
  failure: AgentError,
  success: AwsCredentials,
  payload: {
    server: ServerName,
    role: Schema.String,
    assumeRole: Schema.UndefinedOr(AssumeRoleChain),
    noCache: Schema.Boolean,
    /** How the credentials go out, for the audit trail. */
    via: HandOutVia,
    /** The process a request to exec's endpoint came from, as the exec process found it. */
    requester: Schema.optional(ReportedRequester)
  }
}) {}

/**
 * Tells the agent, for its audit trail, that exec's endpoint answered requests from
 * the credentials the agent last gave it (so that the agent was not asked), and to whom.
 */
export class RecordHandOuts extends Schema.TaggedRequest<RecordHandOuts>()("RecordHandOuts", {
  failure: AgentError,
  success: Schema.Void,
  payload: {
    server: ServerName,
    role: Schema.String,
    assumeRole: Schema.UndefinedOr(AssumeRoleChain),
    handOuts: Schema.Array(
      Schema.Struct({ at: Schema.Date, accessKeyId: Schema.String, requester: ReportedRequester })
    ).pipe(Schema.maxItems(MAX_HAND_OUTS_PER_RECORD)),
    /** Hand-outs the exec process had to drop, too many waiting to be told. */
    unrecorded: Schema.Int
  }
}) {}

/** Audit entries at most in one ReadAudit answer; `more` says there are others after them. */
export const AUDIT_PAGE = 500

/**
 * The audit entries recorded after entry number `after`, oldest first; with `wait`,
 * answered once there is at least one (as long as the connection stays open).
 */
export class ReadAudit extends Schema.TaggedRequest<ReadAudit>()("ReadAudit", {
  failure: AgentError,
  success: Schema.Struct({ entries: Schema.Array(AuditEntry), more: Schema.Boolean }),
  payload: { after: Schema.Int, wait: Schema.Boolean }
}) {}

/** The server a name stands for in the agent's configuration. */
export class ResolveServer extends Schema.TaggedRequest<ResolveServer>()("ResolveServer", {
  failure: AgentError,
  success: ServerSummary,
  payload: { server: ServerName }
}) {}

/** The agent's configuration: its `servers.d`, the servers in it, and the files it skipped. */
export class ListServers extends Schema.TaggedRequest<ListServers>()("ListServers", {
  failure: AgentError,
  success: Schema.Struct({
    serversDir: Schema.String,
    servers: Schema.Array(ServerSummary),
    problems: Schema.Array(Schema.String)
  }),
  payload: {}
}) {}

export class ListRoles extends Schema.TaggedRequest<ListRoles>()("ListRoles", {
  failure: AgentError,
  success: Schema.Array(RoleInfo),
  payload: { server: ServerName }
}) {}

export class ListSessions extends Schema.TaggedRequest<ListSessions>()("ListSessions", {
  failure: AgentError,
  success: Schema.Array(SessionInfo),
  payload: {}
}) {}

export class RefreshSession extends Schema.TaggedRequest<RefreshSession>()("RefreshSession", {
  failure: AgentError,
  success: SessionInfo,
  payload: { server: ServerName }
}) {}

const Port = Schema.Int.pipe(Schema.between(1, 65535))

export class StartLogin extends Schema.TaggedRequest<StartLogin>()("StartLogin", {
  failure: AgentError,
  success: Schema.Struct({ serverId: Schema.String, challenge: LoginChallenge, joined: Schema.Boolean }),
  payload: {
    server: ServerName,
    grantType: Schema.UndefinedOr(GrantType),
    /** The code grant's callback port on the agent's machine (MAIRU_LOCAL_PORT), beating the file's. */
    localPort: Schema.UndefinedOr(Port)
  }
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
  payload: { server: ServerName, grantType: GrantType }
}) {}

/**
 * Forgets a server's session and cached credentials, after revoking its refresh
 * token where the server's file names a `revocation_endpoint`.
 */
export class Logout extends Schema.TaggedRequest<Logout>()("Logout", {
  failure: AgentError,
  success: Schema.Struct({
    serverId: Schema.String,
    hadSession: Schema.Boolean,
    /** revoked: the server revoked the refresh token; not-supported: nothing to revoke it with. */
    revocation: Schema.Literal("revoked", "not-supported", "no-refresh-token", "failed", "none"),
    /** Why the revocation failed, when it did. */
    detail: Schema.UndefinedOr(Schema.String)
  }),
  payload: { server: ServerName }
}) {}

/**
 * Answered when the server's session ends (logout, or the server stopped accepting
 * it), with the Unauthenticated failure a credentials request would now get; at
 * once when there is no session. A running `exec` holds one open to tell its user.
 */
export class WatchSession extends Schema.TaggedRequest<WatchSession>()("WatchSession", {
  failure: AgentError,
  success: Schema.Void,
  payload: { server: ServerName }
}) {}

/**
 * Opens another socket at `path` (absolute, in a private folder of the agent's
 * machine) that serves only the `allow` patterns (`SERVER/ROLE`, `*` any text),
 * for forwarding. It stays open while the connection that asked stays open.
 */
export class OpenRestrictedSocket extends Schema.TaggedRequest<OpenRestrictedSocket>()("OpenRestrictedSocket", {
  failure: AgentError,
  success: Schema.Struct({ path: Schema.String }),
  payload: { path: Schema.String, allow: Schema.Array(Schema.String), allowLogin: Schema.Boolean }
}) {}

export class Shutdown extends Schema.TaggedRequest<Shutdown>()("Shutdown", {
  failure: AgentError,
  success: Schema.Void,
  payload: {}
}) {}

export const AgentRequest = Schema.Union(
  Hello,
  GetCredentials,
  RecordHandOuts,
  ReadAudit,
  ResolveServer,
  ListServers,
  ListRoles,
  ListSessions,
  RefreshSession,
  StartLogin,
  CompleteLogin,
  RegisterClient,
  Logout,
  WatchSession,
  OpenRestrictedSocket,
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
