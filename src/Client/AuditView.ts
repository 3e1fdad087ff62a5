import { type AuditEntry, auditEntryJson } from "../Schemas/Audit.js"
import { parseDuration } from "./ConsoleTarget.js"
import { formatTime } from "./Format.js"

/** What `mairu audit` shows of the trail. */
export interface AuditFilter {
  readonly server: string | undefined
  readonly role: string | undefined
  readonly since: Date | undefined
}

/** `--since`: a time ago (`90s`, `30m`, `1h30m`, `2d`) or a timestamp (`2026-05-01T09:00:00Z`); undefined when neither. */
export const parseSince = (text: string, now: number): Date | undefined => {
  const days = /^(\d+)d$/.exec(text)
  const seconds = days !== null ? Number(days[1]) * 86_400 : parseDuration(text)
  if (seconds !== undefined) return new Date(now - seconds * 1000)
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined
  const time = Date.parse(text)
  return Number.isNaN(time) ? undefined : new Date(time)
}

export const matches = (filter: AuditFilter) => (entry: AuditEntry): boolean =>
  (filter.server === undefined || entry.server === filter.server) &&
  (filter.role === undefined || entry.role === filter.role) &&
  (filter.since === undefined || entry.time.getTime() >= filter.since.getTime())

/** One JSON object on a line, as `--json` prints it. */
export const jsonLine = (entry: AuditEntry): string => JSON.stringify(auditEntryJson(entry)) + "\n"

/** Command lines longer than this are cut in the text view (`--json` has them whole, to 512 bytes). */
const SHOWN_ARGV = 80
/** Parents shown in the text view, nearest first. */
const SHOWN_PARENTS = 3

const cut = (text: string, length: number) => text.length <= length ? text : text.slice(0, length - 1) + "…"

/** Who asked, in a few words: `4242  /home/u/app  python3 app.py ← bash`. */
const requesterText = (entry: AuditEntry): { readonly pid: string; readonly rest: string } => {
  const { attribution, process, reason, reportedBy, socket } = entry.requester
  if (attribution === "remote") return { pid: "remote", rest: `through ${socket}` }
  if (process === undefined) {
    const by = reportedBy === undefined ? "" : ` (reported by ${reportedBy.command} ${reportedBy.pid})`
    return { pid: "?", rest: `unknown process: ${reason ?? "no reason given"}${by}` }
  }
  const parents = process.parents.slice(0, SHOWN_PARENTS).map((parent) => ` ← ${parent.command}`).join("")
  const more = process.parents.length > SHOWN_PARENTS ? " ← …" : ""
  const by = reportedBy === undefined ? "" : `  (reported by ${reportedBy.command} ${reportedBy.pid})`
  return {
    pid: String(process.pid),
    rest: `${process.cwd ?? "?"}  ${cut(process.argv ?? "?", SHOWN_ARGV)}${parents}${more}${by}`
  }
}

const roleText = (entry: AuditEntry) =>
  `${entry.server}/${entry.role}${entry.assumeRole === undefined ? "" : ` → ${entry.assumeRole.roleArn}`}`

const resultText = (entry: AuditEntry) =>
  entry.outcome === "handed-out" ? entry.source ?? "" : entry.outcome === "refused" ? "REFUSED" : "FAILED"

/**
 * One line per entry, in columns padded to the widest of `entries`: time, server/role,
 * how, cache/upstream/reused (or REFUSED/FAILED and why, at the end), pid, working
 * folder, command and the processes above it.
 */
export const textLines = (entries: ReadonlyArray<AuditEntry>, utc: boolean): string => {
  const rows = entries.map((entry) => {
    const requester = requesterText(entry)
    return {
      columns: [formatTime(entry.time, utc), roleText(entry), entry.via, resultText(entry), requester.pid],
      rest: requester.rest + (entry.error === undefined ? "" : `  — ${entry.error.kind}: ${entry.error.message}`)
    }
  })
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(0, ...rows.map((row) => row.columns[i]!.length)))
  return rows.map((row) => [...row.columns.map((column, i) => column.padEnd(widths[i]!)), row.rest].join("  ") + "\n")
    .join("")
}
