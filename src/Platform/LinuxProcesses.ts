import * as fs from "node:fs"
import type { ProcessDescription } from "../Schemas/Audit.js"
import { visibleLine } from "../Terminal/Visible.js"
import { parentChain, type ProcessRow, renderArgv, undescribed, unread } from "./ProcessInfo.js"
import { readText, signalReaches } from "./Unix.js"

// Linux: what a process is, from /proc/PID.

/**
 * The fields of /proc/PID/stat after `pid (comm) `, from the state on (field 3), and the
 * command name; comm may hold spaces and parentheses.
 */
const statFields = (text: string): { readonly comm: string; readonly fields: ReadonlyArray<string> } | undefined => {
  const open = text.indexOf("(")
  const close = text.lastIndexOf(")")
  if (open === -1 || close < open) return undefined
  return { comm: text.slice(open + 1, close), fields: text.slice(close + 2).split(" ") }
}

/** `pid (comm) state ppid pgrp session …` from /proc/PID/stat. */
export const parseProcStat = (text: string): ProcessRow | undefined => {
  const stat = statFields(text)
  if (stat === undefined) return undefined
  const pid = Number(text.slice(0, text.indexOf("(")).trim())
  const ppid = Number(stat.fields[1])
  const session = Number(stat.fields[3])
  if (!Number.isInteger(pid) || !Number.isInteger(ppid)) return undefined
  return { pid, ppid, command: stat.comm, sessionLeader: session === pid }
}

const statOf = (pid: number) => {
  const text = readText(`/proc/${pid}/stat`)
  return text === undefined ? undefined : statFields(text)
}

const rowOf = (pid: number): ProcessRow | undefined => {
  const text = readText(`/proc/${pid}/stat`)
  return text === undefined ? undefined : parseProcStat(text)
}

/** The real uid on the `Uid:` line of /proc/PID/status. */
export const parseStatusUid = (text: string): number | undefined => {
  const match = /^Uid:\s+(\d+)/m.exec(text)
  return match === null ? undefined : Number(match[1])
}

const readLink = (file: string): string | undefined => {
  try {
    return fs.readlinkSync(file)
  } catch {
    return undefined
  }
}

/** When `pid` started: field 22 of /proc/PID/stat, clock ticks since boot. */
export const linuxProcessStartTime = (pid: number): string | undefined => statOf(pid)?.fields[19]

export const linuxCommandName = (pid: number): Promise<string | undefined> => {
  const comm = statOf(pid)?.comm
  return Promise.resolve(comm === undefined ? undefined : visibleLine(comm))
}

/** `pid` as /proc shows it, read at once (the process may be about to exit). */
export const describeLinuxProcess = (pid: number): Promise<ProcessDescription> => {
  const status = readText(`/proc/${pid}/status`)
  if (status === undefined) {
    return Promise.resolve(undescribed(pid, `process ${pid} had exited before it could be described`))
  }
  const cmdline = readText(`/proc/${pid}/cmdline`)
  const executable = readLink(`/proc/${pid}/exe`)
  const cwd = readLink(`/proc/${pid}/cwd`)
  const missing = unread({ executable, cwd })
  const argv = cmdline === undefined || cmdline === "" ? undefined : cmdline.replace(/\0$/, "").split("\0")
  return Promise.resolve({
    pid,
    uid: parseStatusUid(status),
    executable: executable === undefined ? undefined : visibleLine(executable),
    argv: argv === undefined ? undefined : renderArgv(argv),
    cwd: cwd === undefined ? undefined : visibleLine(cwd),
    parents: parentChain(pid, rowOf),
    problem: missing === undefined ? undefined : `its ${missing} could not be read (another user's process?)`
  })
}

/** Signal 0, then the state in /proc/PID/stat: an exited process no parent has reaped (a zombie, `Z`) is gone. */
export const linuxIsProcessAlive = (pid: number): boolean => {
  if (!signalReaches(pid)) return false
  if (!fs.existsSync("/proc/self/stat")) return true // no /proc mounted: the signal test has to do
  const stat = statOf(pid)
  return stat !== undefined && stat.fields[0] !== "Z"
}
