import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import { openInspectorUrl } from "./Inspector.js"
import { describeError, loadNative } from "./Native.js"
import type { Platform } from "./Platform.js"
import { platform as thisPlatform } from "./ThisPlatform.js"

/**
 * Keeps the agent's memory out of core files and debuggers: core file size 0
 * (setrlimit), and what the platform has against debuggers (Linux: not dumpable,
 * so no ptrace and no /proc/PID/mem or environ for other processes of the user;
 * macOS: ptrace(PT_DENY_ATTACH)). Node has no API for these; they go through
 * koffi's prebuilt native module (Native.ts). Without it debuggers are not blocked,
 * and core dumps are off only when the agent was started with a core file size
 * limit of 0 (as a command starts it); `mairu status` says which.
 */

export interface HardeningReport {
  /** The core file size limit is 0: setrlimit(RLIMIT_CORE, 0) succeeded, or it was 0 already. */
  readonly coreDumpsOff: boolean
  /** Linux: not dumpable; macOS: PT_DENY_ATTACH. */
  readonly debuggersBlocked: boolean
  /** Node's inspector is not open (see Inspector.ts); checked each time it is asked. */
  readonly inspectorClosed: boolean
  /** Why a step is missing, if one is. */
  readonly problem?: string | undefined
}

const RLIMIT_CORE = 4

/** True when this process's core file size limit is 0 (then no core file is written). */
const coreLimitIsZero = (): boolean => {
  try {
    if (process.platform === "linux") {
      return /^Max core file size\s+0\s/m.test(fs.readFileSync("/proc/self/limits", "utf8"))
    }
    return childProcess.execFileSync("/bin/sh", ["-c", "ulimit -c"], { encoding: "utf8" }).trim() === "0"
  } catch {
    return false
  }
}

let applied: Omit<HardeningReport, "inspectorClosed"> | undefined

/** `report` with the inspector checked now. */
export const withInspector = (report: Omit<HardeningReport, "inspectorClosed">): HardeningReport => ({
  ...report,
  inspectorClosed: openInspectorUrl() === undefined
})

/**
 * Hardens this process once; later calls return the first report (the inspector checked
 * again). `koffiPaths` are the native module's candidate files; without them, the single
 * executable's asset or the files shipped in dist/.
 */
export const hardenProcess = (koffiPaths?: ReadonlyArray<string>, on: Platform = thisPlatform): HardeningReport => {
  if (applied !== undefined) return withInspector(applied)
  const loaded = loadNative(on.hardening, koffiPaths)
  if (typeof loaded === "string") {
    applied = { coreDumpsOff: coreLimitIsZero(), debuggersBlocked: false, problem: loaded }
    return withInspector(applied)
  }
  const { koffi, libc } = loaded
  const problems: Array<string> = []
  let coreDumpsOff = false
  let debuggersBlocked = false
  try {
    koffi.struct("mairu_rlimit", { cur: "uint64_t", max: "uint64_t" })
    const setrlimit = libc.func("int setrlimit(int, const mairu_rlimit *)")
    coreDumpsOff = setrlimit(RLIMIT_CORE, { cur: 0, max: 0 }) === 0
    if (!coreDumpsOff) problems.push("setrlimit(RLIMIT_CORE, 0) failed")
    debuggersBlocked = on.hardening.blockDebuggers(libc)
    if (!debuggersBlocked) problems.push(`${on.hardening.debuggerCall} failed`)
  } catch (error) {
    problems.push(describeError(error))
  }
  coreDumpsOff ||= coreLimitIsZero()
  applied = { coreDumpsOff, debuggersBlocked, ...(problems.length > 0 ? { problem: problems.join("; ") } : {}) }
  return withInspector(applied)
}

/**
 * What is missing from the agent's hardening and what to do, in words that hold for
 * what was measured; undefined when it is complete.
 */
export const hardeningProblem = (report: HardeningReport): string | undefined => {
  const missing = [
    ...(report.inspectorClosed ? [] : ["Node's inspector, a debugger that any local user can reach, is open in it"]),
    ...(report.debuggersBlocked ? [] : ["your other processes can attach a debugger to it and read its memory"]),
    ...(report.coreDumpsOff
      ? []
      : ["a crash would write its memory to a core file (its core file size limit is not 0)"])
  ]
  if (missing.length === 0) return undefined
  const why = report.problem === undefined ? "" : ` (${report.problem})`
  const next = !report.inspectorClosed
    ? "Restart it: mairu kill-agent (the next command starts a new one)"
    : !report.debuggersBlocked
    ? "Debuggers are blocked through a native helper, which mairu's package and single executable carry for " +
      "Linux and macOS: install mairu again from its package (see Install in the README)"
    : "Restart it as commands start it, with core dumps off: mairu kill-agent; mairu agent"
  return `the agent runs without part of its hardening: ${missing.join("; ")}${why}. ${next}`
}
