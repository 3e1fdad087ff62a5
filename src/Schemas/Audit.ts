import * as Schema from "effect/Schema"

/**
 * The audit trail: one entry for every credentials request the agent answered,
 * handed out, refused or failed, with the process that asked. Never a secret: the
 * AccessKeyId names the credentials (CloudTrail shows it), nothing else of them is kept.
 */

/**
 * How credentials went out, as the client says:
 * - credential-process: `mairu credential-process` (an AWS tool's credential_process);
 * - exec-static: `mairu exec --mode static`, into the command's environment;
 * - exec-ecs: a request to the endpoint of `mairu exec` (ecs mode), on behalf of the process that made it;
 * - exec-keep-warm: `mairu exec` (ecs mode) itself, before the command starts and to keep the agent's cache warm;
 *   these are not passed to the command;
 * - console: `mairu console`, for a sign-in token.
 */
export const HandOutVia = Schema.Literal("credential-process", "exec-static", "exec-ecs", "exec-keep-warm", "console")
export type HandOutVia = typeof HandOutVia.Type

/** A process above the one that asked, by pid and command name. */
export const ParentProcess = Schema.Struct({ pid: Schema.Int, command: Schema.String })
export type ParentProcess = typeof ParentProcess.Type

/** A process as it could be seen when it asked (see src/Platform/ProcessInfo.ts); text is shown safely. */
export const ProcessDescription = Schema.Struct({
  pid: Schema.Int,
  uid: Schema.UndefinedOr(Schema.Int),
  executable: Schema.UndefinedOr(Schema.String),
  /** The command line, words shell-quoted where needed, cut at 512 bytes. */
  argv: Schema.UndefinedOr(Schema.String),
  cwd: Schema.UndefinedOr(Schema.String),
  /** Nearest first, up to the session leader (usually the user's shell) or init. */
  parents: Schema.Array(ParentProcess),
  /** What could not be read. */
  problem: Schema.UndefinedOr(Schema.String)
})
export type ProcessDescription = typeof ProcessDescription.Type

/** The process behind a request to exec's endpoint, as the exec process found it. */
export const ReportedRequester = Schema.Union(
  Schema.TaggedStruct("Process", { process: ProcessDescription }),
  Schema.TaggedStruct("Unknown", { reason: Schema.String })
)
export type ReportedRequester = typeof ReportedRequester.Type

/**
 * Who asked. kernel: the agent's socket told the process (SO_PEERCRED, LOCAL_PEERPID);
 * exec: the exec process named the client of its endpoint, and the kernel told the
 * exec process (`reportedBy`); remote: through a restricted socket (`socket`), where
 * pids mean nothing; unknown: nothing could tell (`reason`).
 */
export const Requester = Schema.Struct({
  attribution: Schema.Literal("kernel", "exec", "remote", "unknown"),
  process: Schema.UndefinedOr(ProcessDescription),
  reportedBy: Schema.UndefinedOr(ParentProcess),
  socket: Schema.UndefinedOr(Schema.String),
  reason: Schema.UndefinedOr(Schema.String)
})
export type Requester = typeof Requester.Type

/** Where credentials came from: the agent's cache, a new upstream call, or exec's copy of what the agent gave it. */
export const CredentialSource = Schema.Literal("cache", "upstream", "reused")
export type CredentialSource = typeof CredentialSource.Type

export const AuditEntry = Schema.Struct({
  /** Numbers entries in the order they were recorded, from 1 at the agent's start. */
  seq: Schema.Int,
  time: Schema.Date,
  /** The server's id, or the name the client gave when it names no server. */
  server: Schema.String,
  role: Schema.String,
  assumeRole: Schema.UndefinedOr(
    Schema.Struct({ roleArn: Schema.String, roleSessionName: Schema.UndefinedOr(Schema.String) })
  ),
  via: HandOutVia,
  /** refused: not allowed (a restricted socket, the server's refusal); failed: anything else. */
  outcome: Schema.Literal("handed-out", "refused", "failed"),
  source: Schema.UndefinedOr(CredentialSource),
  accessKeyId: Schema.UndefinedOr(Schema.String),
  error: Schema.UndefinedOr(Schema.Struct({ kind: Schema.String, message: Schema.String })),
  requester: Requester
})
export type AuditEntry = typeof AuditEntry.Type

const orNull = <A>(value: A | undefined): A | null => value ?? null

/** An entry in the form `mairu audit --json` and the audit file write: snake_case, absent values as null. */
export const auditEntryJson = (entry: AuditEntry) => {
  const { process, reason, reportedBy, socket } = entry.requester
  return {
    seq: entry.seq,
    time: entry.time.toISOString(),
    server: entry.server,
    role: entry.role,
    assume_role: entry.assumeRole === undefined
      ? null
      : { role_arn: entry.assumeRole.roleArn, role_session_name: orNull(entry.assumeRole.roleSessionName) },
    via: entry.via,
    outcome: entry.outcome,
    source: orNull(entry.source),
    access_key_id: orNull(entry.accessKeyId),
    error: orNull(entry.error),
    requester: {
      attribution: entry.requester.attribution,
      pid: orNull(process?.pid),
      uid: orNull(process?.uid),
      executable: orNull(process?.executable),
      argv: orNull(process?.argv),
      cwd: orNull(process?.cwd),
      parents: process?.parents ?? [],
      problem: orNull(process?.problem),
      reported_by: orNull(reportedBy),
      socket: orNull(socket),
      reason: orNull(reason)
    }
  }
}
