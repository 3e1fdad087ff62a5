import type { ParentProcess, ProcessDescription } from "../Schemas/Audit.js"
import { shellQuote } from "../Terminal/ShellQuote.js"
import { visibleLine } from "../Terminal/Visible.js"

/**
 * What the audit trail says about a process that asked for credentials: its
 * executable, command line, working folder and the processes above it. Each platform
 * reads them its own way (Linux: /proc, LinuxProcesses.ts; macOS: `ps` and `lsof`,
 * MacOsProcesses.ts); what they share is here. What cannot be read (another user's
 * process, one that has exited) is left out and named in `problem`; nothing fails.
 */

/** The longest command line kept, in bytes; longer ones are cut and end in `…`. */
export const MAX_ARGV_BYTES = 512

/** Parents followed at most, for a chain that never reaches a session leader. */
const MAX_PARENTS = 24

/** `argv` as one line: each word shell-quoted where needed, control characters escaped, cut at MAX_ARGV_BYTES. */
export const renderArgv = (argv: ReadonlyArray<string>): string =>
  cutBytes(argv.map((word) => visibleLine(shellQuote(word))).join(" "))

/** `text` cut to MAX_ARGV_BYTES of UTF-8 (never inside a character), ending in `…` when cut. */
export const cutBytes = (text: string): string => {
  if (Buffer.byteLength(text) <= MAX_ARGV_BYTES) return text
  const ellipsis = "…"
  let out = ""
  let bytes = 0
  for (const char of text) {
    const size = Buffer.byteLength(char)
    if (bytes + size > MAX_ARGV_BYTES - Buffer.byteLength(ellipsis)) break
    out += char
    bytes += size
  }
  return out + ellipsis
}

/** A process of which only the pid is known, and why. */
export const undescribed = (pid: number, problem: string): ProcessDescription => ({
  pid,
  uid: undefined,
  executable: undefined,
  argv: undefined,
  cwd: undefined,
  parents: [],
  problem
})

/** What of a process's executable and working folder could not be read, in a few words; undefined when both were. */
export const unread = (found: { readonly executable: string | undefined; readonly cwd: string | undefined }) => {
  const missing = [
    ...(found.executable === undefined ? ["executable"] : []),
    ...(found.cwd === undefined ? ["working folder"] : [])
  ]
  return missing.length === 0 ? undefined : missing.join(" and ")
}

/** One process in the table the parent chain is walked through. */
export interface ProcessRow {
  readonly pid: number
  readonly ppid: number
  readonly command: string
  /** Leads its session: the user's login shell, or what a terminal or service started. */
  readonly sessionLeader: boolean
}

/**
 * The processes above `pid`, nearest first, up to and including the first session
 * leader (usually the user's shell) or init.
 */
export const parentChain = (pid: number, row: (pid: number) => ProcessRow | undefined): Array<ParentProcess> => {
  const parents: Array<ParentProcess> = []
  let current = row(pid)
  while (current !== undefined && current.ppid > 0 && parents.length < MAX_PARENTS) {
    const parent = row(current.ppid)
    if (parent === undefined) break
    parents.push({ pid: parent.pid, command: visibleLine(parent.command) })
    if (parent.sessionLeader || parent.pid === 1) break
    current = parent
  }
  return parents
}
