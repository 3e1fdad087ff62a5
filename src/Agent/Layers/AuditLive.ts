import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import { appendLine, openAuditLog } from "../../Files/AuditLogFile.js"
import { auditEntryJson } from "../../Schemas/Audit.js"
import { Settings } from "../../Services/Settings.js"
import { makeAuditTrail } from "../AuditTrail.js"
import { Audit, MAX_AUDIT_ENTRIES } from "../Services/Audit.js"

/**
 * The agent's audit trail: the last MAX_AUDIT_ENTRIES in memory, and each entry
 * appended as a JSON line to the file MAIRU_AUDIT_LOG names, when the agent may
 * use it. A file it may not use, or that stops taking lines, is said in its log and
 * in `mairu status`; the trail in memory goes on.
 */
export const AuditLive = Layer.scoped(
  Audit,
  Effect.gen(function*() {
    const file = Option.getOrUndefined((yield* Settings).auditLog)
    let problem: string | undefined
    let fd: number | undefined
    const notWritten = (reason: string) =>
      Effect.logWarning(
        `the audit log ${file} (MAIRU_AUDIT_LOG) is not written: ${reason}; the audit trail stays in memory only ` +
          `(mairu audit); fix it and restart the agent: mairu kill-agent`
      )
    if (file !== undefined) {
      const opened = openAuditLog(file)
      if ("problem" in opened) {
        problem = opened.problem
        yield* notWritten(problem)
      } else {
        fd = opened.fd
        yield* Effect.addFinalizer(() => Effect.sync(() => fd !== undefined && fs.closeSync(fd)))
      }
    }
    const append = (line: string) =>
      Effect.suspend(() => {
        if (fd === undefined) return Effect.void
        const failure = appendLine(fd, line)
        if (failure === undefined) return Effect.void
        fs.closeSync(fd)
        fd = undefined
        problem = `writing failed: ${failure}`
        return notWritten(problem)
      })
    const trail = yield* makeAuditTrail(
      MAX_AUDIT_ENTRIES,
      (entry) => append(JSON.stringify(auditEntryJson(entry)) + "\n")
    )
    return {
      record: trail.record,
      read: trail.read,
      status: Effect.map(trail.size, (entries) => ({ entries, file, problem }))
    }
  })
)
