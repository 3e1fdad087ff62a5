import { execFile } from "node:child_process"
import * as fs from "node:fs"
import type { ParentProcess, ProcessDescription } from "../Schemas/Audit.js"
import { shellQuote } from "../Terminal/ShellQuote.js"
import { visibleLine } from "../Terminal/Visible.js"

/**
 * What the audit trail says about a process that asked for credentials: its
 * executable, command line, working folder and the processes above it. Linux reads
 * /proc; macOS asks `ps` and `lsof`. What cannot be read (another user's process, one
 * that has exited) is left out and named in `problem`; nothing here fails.
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
const undescribed = (pid: number, problem: string): ProcessDescription => ({
  pid,
  uid: undefined,
  executable: undefined,
  argv: undefined,
  cwd: undefined,
  parents: [],
  problem
})

/** What of a process's executable and working folder could not be read, in a few words; undefined when both were. */
const unread = (found: { readonly executable: string | undefined; readonly cwd: string | undefined }) => {
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

// Linux

/** `pid (comm) state ppid pgrp session …` from /proc/PID/stat; comm may hold spaces and parentheses. */
export const parseProcStat = (text: string): ProcessRow | undefined => {
  const open = text.indexOf("(")
  const close = text.lastIndexOf(")")
  if (open === -1 || close < open) return undefined
  const fields = text.slice(close + 2).split(" ")
  const pid = Number(text.slice(0, open).trim())
  const ppid = Number(fields[1])
  const session = Number(fields[3])
  if (!Number.isInteger(pid) || !Number.isInteger(ppid)) return undefined
  return { pid, ppid, command: text.slice(open + 1, close), sessionLeader: session === pid }
}

const readText = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

const readLink = (file: string): string | undefined => {
  try {
    return fs.readlinkSync(file)
  } catch {
    return undefined
  }
}

const linuxRow = (proc: string) => (pid: number): ProcessRow | undefined => {
  const stat = readText(`${proc}/${pid}/stat`)
  return stat === undefined ? undefined : parseProcStat(stat)
}

/** The real uid on the `Uid:` line of /proc/PID/status. */
export const parseStatusUid = (text: string): number | undefined => {
  const match = /^Uid:\s+(\d+)/m.exec(text)
  return match === null ? undefined : Number(match[1])
}

/**
 * When process `pid` started (clock ticks since boot, from /proc/PID/stat), which tells
 * a process from a later one that got the same pid; undefined where it cannot be read cheaply.
 */
export const processStartTime = (pid: number, proc = "/proc"): string | undefined => {
  if (process.platform !== "linux") return undefined
  const stat = readText(`${proc}/${pid}/stat`)
  // Field 22; the fields after comm start at field 3.
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
}

/** The command name of `pid` (its comm), from /proc. */
export const linuxCommandName = (pid: number, proc = "/proc"): string | undefined => {
  const row = linuxRow(proc)(pid)
  return row === undefined ? undefined : visibleLine(row.command)
}

/** `pid` as /proc shows it, read at once (the process may be about to exit). */
export const describeLinuxProcess = (pid: number, proc = "/proc"): ProcessDescription => {
  const status = readText(`${proc}/${pid}/status`)
  if (status === undefined) return undescribed(pid, `process ${pid} had exited before it could be described`)
  const cmdline = readText(`${proc}/${pid}/cmdline`)
  const executable = readLink(`${proc}/${pid}/exe`)
  const cwd = readLink(`${proc}/${pid}/cwd`)
  const missing = unread({ executable, cwd })
  const argv = cmdline === undefined || cmdline === "" ? undefined : cmdline.replace(/\0$/, "").split("\0")
  return {
    pid,
    uid: parseStatusUid(status),
    executable: executable === undefined ? undefined : visibleLine(executable),
    argv: argv === undefined ? undefined : renderArgv(argv),
    cwd: cwd === undefined ? undefined : visibleLine(cwd),
    parents: parentChain(pid, linuxRow(proc)),
    problem: missing === undefined ? undefined : `its ${missing} could not be read (another user's process?)`
  }
}

// macOS

/** Runs a program and resolves with its stdout; undefined when it fails or takes longer than 3 s. */
export type RunProgram = (file: string, args: ReadonlyArray<string>) => Promise<string | undefined>

export const runProgram: RunProgram = (file, args) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: 3_000, maxBuffer: 8 * 1024 * 1024, encoding: "utf8" }, (error, stdout) =>
      resolve(error === null ? stdout : undefined))
  })

/** `ps -ax -o pid=,ppid=,uid=,stat=,ucomm=`: one process a line; STAT holds `s` for a session leader. */
export const parsePsTable = (text: string): Map<number, ProcessRow & { readonly uid: number }> => {
  const rows = new Map<number, ProcessRow & { readonly uid: number }>()
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line)
    if (match === null) continue
    const pid = Number(match[1])
    rows.set(pid, {
      pid,
      ppid: Number(match[2]),
      uid: Number(match[3]),
      sessionLeader: match[4]!.includes("s"),
      command: match[5]!.trimEnd()
    })
  }
  return rows
}

/** `lsof -a -p PID -d cwd,txt -Fn`: the working folder, and the first text file (the executable). */
export const parseLsofFiles = (
  text: string
): { readonly cwd: string | undefined; readonly executable: string | undefined } => {
  let descriptor: string | undefined
  let cwd: string | undefined
  let executable: string | undefined
  for (const line of text.split("\n")) {
    if (line.startsWith("f")) descriptor = line.slice(1)
    else if (line.startsWith("n")) {
      if (descriptor === "cwd") cwd ??= line.slice(1)
      else if (descriptor === "txt") executable ??= line.slice(1)
    }
  }
  return { cwd, executable }
}

const PS = "/bin/ps"
const LSOF = "/usr/sbin/lsof"

const psTable = (run: RunProgram) => run(PS, ["-ax", "-o", "pid=,ppid=,uid=,stat=,ucomm="])

/** The command name of `pid`, from `ps`. */
export const macosCommandName = async (pid: number, run: RunProgram = runProgram): Promise<string | undefined> => {
  const text = await run(PS, ["-o", "ucomm=", "-p", String(pid)])
  const name = text?.trim()
  return name === undefined || name === "" ? undefined : visibleLine(name)
}

/**
 * `pid` as `ps` and `lsof` show it. The command line is the one `ps` prints, words
 * joined by spaces (macOS keeps no other form a process of the user can read).
 */
export const describeMacosProcess = async (pid: number, run: RunProgram = runProgram): Promise<ProcessDescription> => {
  const [table, args, files] = await Promise.all([
    psTable(run),
    run(PS, ["-ww", "-o", "args=", "-p", String(pid)]),
    run(LSOF, ["-w", "-b", "-a", "-p", String(pid), "-d", "cwd,txt", "-Fn"])
  ])
  const rows = parsePsTable(table ?? "")
  const self = rows.get(pid)
  if (self === undefined) {
    return undescribed(
      pid,
      table === undefined ? "ps could not list processes" : `process ${pid} had exited before it could be described`
    )
  }
  const { cwd, executable } = parseLsofFiles(files ?? "")
  const commandLine = args?.trim()
  const missing = unread({ executable, cwd })
  return {
    pid,
    uid: self.uid,
    executable: executable === undefined ? undefined : visibleLine(executable),
    argv: commandLine === undefined || commandLine === "" ? undefined : cutBytes(visibleLine(commandLine)),
    cwd: cwd === undefined ? undefined : visibleLine(cwd),
    parents: parentChain(pid, (p) => rows.get(p)),
    problem: missing === undefined ? undefined : `lsof could not read its ${missing}`
  }
}

// This platform

/** `pid` described by this platform's means. */
export const describeProcess = (pid: number): Promise<ProcessDescription> =>
  process.platform === "linux"
    ? Promise.resolve(describeLinuxProcess(pid))
    : process.platform === "darwin"
    ? describeMacosProcess(pid)
    : Promise.resolve(undescribed(pid, `processes cannot be described on ${process.platform}`))

/** The command name of `pid` by this platform's means. */
export const commandName = (pid: number): Promise<string | undefined> =>
  process.platform === "linux"
    ? Promise.resolve(linuxCommandName(pid))
    : process.platform === "darwin"
    ? macosCommandName(pid)
    : Promise.resolve(undefined)
