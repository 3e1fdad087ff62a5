import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
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
import { makeScrubber } from "./Scrub.js"
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

/** The process that sent a report (exec, for its endpoint's clients), as the kernel told; else why it is unknown. */
export const reporterOf = (
  peer: Peer
): Effect.Effect<{ readonly reportedBy?: ParentProcess; readonly reason?: string }> => {
  switch (peer._tag) {
    case "Local":
      return Effect.promise(() => platform.commandName(peer.pid)).pipe(
        Effect.map((command) => ({ reportedBy: { pid: peer.pid, command: command ?? "?" } }))
      )
    case "Remote":
      return Effect.succeed({})
    case "Unknown":
      return Effect.succeed({ reason: `the process that reported it is unknown: ${peer.reason}` })
  }
}

/** A process exec reported, under the reporter the kernel told. */
export const reportedRequester = (
  peer: Peer,
  reporter: { readonly reportedBy?: ParentProcess; readonly reason?: string },
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

/** Who sent a request: the connection's peer, described now (it may exit once answered), or what exec reported. */
export const requesterOf = (peer: Peer, reported: ReportedRequester | undefined): Effect.Effect<Requester> => {
  if (reported !== undefined) {
    return Effect.map(reporterOf(peer), (reporter) => reportedRequester(peer, reporter, reported))
  }
  switch (peer._tag) {
    case "Local":
      return Effect.promise(() => platform.describeProcess(peer.pid)).pipe(
        Effect.map((process): Requester => ({ ...nobody, attribution: "kernel", process }))
      )
    case "Remote":
      return Effect.succeed({ ...nobody, attribution: "remote", socket: peer.socket })
    case "Unknown":
      return Effect.succeed({ ...nobody, attribution: "unknown", reason: peer.reason })
  }
}

/** `requester` without the secrets of `credentials` in the text a process chose (its command line, folder and executable). */
export const withoutSecretsOf = (requester: Requester, credentials: AwsCredentials): Requester => {
  const process = requester.process
  if (process === undefined) return requester
  const scrub = makeScrubber(
    credentialSecrets(credentials).map((secret) => secret === undefined ? undefined : Redacted.value(secret))
  )
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
