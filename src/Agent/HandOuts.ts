import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import { cutBytes } from "../Platform/ProcessInfo.js"
import { platform } from "../Platform/ThisPlatform.js"
import type { AgentError } from "../Schemas/AgentErrors.js"
import type { AssumeRoleChain } from "../Schemas/AgentProtocol.js"
import type {
  AuditEntry,
  CredentialSource,
  HandOutVia,
  ParentProcess,
  ProcessDescription,
  ReportedRequester,
  Requester
} from "../Schemas/Audit.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import { visibleLine } from "../Terminal/Visible.js"
import type { AuditRecord } from "./AuditTrail.js"
import type { Peer } from "./Handle.js"
import { makeScrubber, type Scrubber } from "./Scrub.js"
import { credentialSecrets } from "./ScrubErrors.js"

/**
 * Audit entries for credentials requests: who asked (the kernel's word, or exec's for
 * its endpoint's clients), and what the request came to. Nothing in an entry is a
 * secret: the requester's text is scrubbed of the credentials it was given.
 */

const nobody = { process: undefined, reportedBy: undefined, socket: undefined, reason: undefined } as const

/** Longest text kept of a path or a message. */
const MAX_TEXT = 4096
const MAX_MESSAGE = 500

const text = (value: string | undefined, max = MAX_TEXT) =>
  value === undefined ? undefined : visibleLine(value).slice(0, max)

/** A description another process sent, made as safe to show as one the agent read itself. */
const sanitized = (process: ProcessDescription): ProcessDescription => ({
  pid: process.pid,
  uid: process.uid,
  executable: text(process.executable),
  argv: process.argv === undefined ? undefined : cutBytes(visibleLine(process.argv)),
  cwd: text(process.cwd),
  parents: process.parents.slice(0, 32).map((parent) => ({ pid: parent.pid, command: text(parent.command, 256)! })),
  problem: text(process.problem, MAX_MESSAGE)
})

type Reporter = { readonly reportedBy?: ParentProcess; readonly reason?: string }

/** The process that sent a report (exec, for its endpoint's clients), as the kernel told; else why it is unknown. */
export const describeReporter = (peer: Peer): Promise<Reporter> => {
  switch (peer._tag) {
    case "Local":
      return platform.commandName(peer.pid).then((command) => ({
        reportedBy: { pid: peer.pid, command: command ?? "?" }
      }))
    case "Remote":
      return Promise.resolve({})
    case "Unknown":
      return Promise.resolve({ reason: `the process that reported it is unknown: ${peer.reason}` })
  }
}

/** A process exec reported, under the reporter the kernel told. */
export const reportedRequester = (
  peer: Peer,
  reporter: Reporter,
  reported: ReportedRequester
): Requester => {
  if (peer._tag === "Remote") return { ...nobody, attribution: "remote", socket: peer.socket }
  return {
    ...nobody,
    attribution: "exec",
    process: reported._tag === "Process" ? sanitized(reported.process) : undefined,
    reportedBy: reporter.reportedBy,
    reason: reported._tag === "Unknown" ? text(reported.reason, MAX_MESSAGE) : reporter.reason
  }
}

/**
 * Who sent a request: the connection's peer, or what exec reported. Described at once (the
 * process may exit once answered): on Linux from /proc there and then, on macOS by `ps` and
 * `lsof`, which run while the caller goes on. Never fails: what cannot be described is "unknown",
 * with the reason, and the hand-out goes on.
 */
export const describeRequester = (peer: Peer, reported: ReportedRequester | undefined): Promise<Requester> =>
  new Promise<Requester>((resolve) => resolve(describing(peer, reported))).catch((error: unknown): Requester => ({
    ...nobody,
    attribution: "unknown",
    reason: text(
      `the process could not be described: ${error instanceof Error ? error.message : String(error)}`,
      MAX_MESSAGE
    )
  }))

const describing = (peer: Peer, reported: ReportedRequester | undefined): Promise<Requester> => {
  if (reported !== undefined) {
    return describeReporter(peer).then((reporter) => reportedRequester(peer, reporter, reported))
  }
  switch (peer._tag) {
    case "Local":
      return platform.describeProcess(peer.pid).then((process): Requester => ({
        ...nobody,
        attribution: "kernel",
        process
      }))
    case "Remote":
      return Promise.resolve({ ...nobody, attribution: "remote", socket: peer.socket })
    case "Unknown":
      return Promise.resolve({ ...nobody, attribution: "unknown", reason: peer.reason })
  }
}

/**
 * One scrubber per credentials, made at their first hand-out: cached credentials go out again and
 * again. Held no longer than the credentials are.
 */
const scrubbers = new WeakMap<AwsCredentials, Scrubber>()

const scrubberOf = (credentials: AwsCredentials): Scrubber => {
  let scrub = scrubbers.get(credentials)
  if (scrub === undefined) {
    scrub = makeScrubber(
      credentialSecrets(credentials).map((secret) => secret === undefined ? undefined : Redacted.value(secret))
    )
    scrubbers.set(credentials, scrub)
  }
  return scrub
}

/** `requester` without the secrets of `credentials` in the text a process chose (its command line, folder and executable). */
export const withoutSecretsOf = (requester: Requester, credentials: AwsCredentials): Requester => {
  const process = requester.process
  if (process === undefined) return requester
  const scrub = scrubberOf(credentials)
  const clean = (value: string | undefined) => value === undefined ? undefined : scrub(value)
  return {
    ...requester,
    process: { ...process, argv: clean(process.argv), cwd: clean(process.cwd), executable: clean(process.executable) }
  }
}

const chainOf = (chain: AssumeRoleChain | undefined): AuditEntry["assumeRole"] =>
  chain === undefined ? undefined : { roleArn: chain.roleArn, roleSessionName: chain.roleSessionName }

/** refused: not allowed here (a restricted socket) or by the server; failed: anything else. */
const errorOf = (cause: Cause.Cause<AgentError>): Pick<AuditEntry, "outcome" | "error"> => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "None") {
    return { outcome: "failed", error: { kind: "Unexpected", message: "the agent failed unexpectedly; see its log" } }
  }
  const error = failure.value
  return {
    outcome: error._tag === "NotAllowed" || error._tag === "PermissionDenied" ? "refused" : "failed",
    error: { kind: error._tag, message: text(error.message, MAX_MESSAGE)! }
  }
}

/** The entry for one credentials request and what it came to. */
export const handOutEntry = (
  request: {
    readonly server: string
    readonly role: string
    readonly assumeRole: AssumeRoleChain | undefined
    readonly via: HandOutVia
  },
  time: Date,
  requester: Requester,
  result: Exit.Exit<{ readonly accessKeyId: string; readonly source: CredentialSource }, AgentError>
): AuditRecord => ({
  time,
  server: request.server,
  role: request.role,
  assumeRole: chainOf(request.assumeRole),
  via: request.via,
  requester,
  ...Exit.match(result, {
    onFailure: (cause) => ({ ...errorOf(cause), source: undefined, accessKeyId: undefined }),
    onSuccess: ({ accessKeyId, source }) => ({ outcome: "handed-out" as const, error: undefined, source, accessKeyId })
  })
})
