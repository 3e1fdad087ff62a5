import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { openInspectorUrl } from "./Inspector.js"

/**
 * Keeps the agent's memory out of core files and debuggers: core file size 0
 * (setrlimit), on Linux not dumpable (prctl PR_SET_DUMPABLE 0: no core, no ptrace
 * and no /proc/PID/mem or environ for other processes of the user), on macOS
 * ptrace(PT_DENY_ATTACH). Node has no API for these; they go through koffi's
 * prebuilt native module, which the build copies to dist/koffi/<platform>/koffi.node.
 * Without it (a platform without a prebuilt binary, a single executable) debuggers
 * are not blocked, and core dumps are off only when the agent was started with a
 * core file size limit of 0 (as a command starts it); `mairu status` says which.
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

interface KoffiFunction {
  (...args: ReadonlyArray<unknown>): number
}
interface KoffiLibrary {
  func(signature: string): KoffiFunction
}
interface Koffi {
  load(name: string): KoffiLibrary
  struct(name: string, fields: Record<string, string>): unknown
}

const RLIMIT_CORE = 4
const PR_GET_DUMPABLE = 3
const PR_SET_DUMPABLE = 4
const PT_DENY_ATTACH = 31

/** The folders of koffi's prebuilt modules for this platform, most likely first. */
const triplets = (): ReadonlyArray<string> => {
  const arch = process.arch
  if (process.platform === "linux") return [`linux_${arch}`, `musl_${arch}`]
  if (process.platform === "darwin") return [`darwin_${arch}`]
  return []
}

/** Where the build puts the native module: next to the running mairu.cjs. */
export const bundledKoffiPaths = (): ReadonlyArray<string> => {
  const entry = process.argv[1]
  if (entry === undefined) return []
  let dir: string
  try {
    dir = path.dirname(fs.realpathSync(entry))
  } catch {
    return []
  }
  return triplets().map((triplet) => path.join(dir, "koffi", triplet, "koffi.node"))
}

const loadKoffi = (candidates: ReadonlyArray<string>): Koffi | string => {
  const errors: Array<string> = []
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue
    try {
      // A native module cannot be bundled; it is loaded from its file at run time.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as Koffi
    } catch (error) {
      errors.push(`${file}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return errors.length > 0
    ? `the native helper did not load (${errors.join("; ")})`
    : `no native helper for ${process.platform}-${process.arch} in this installation`
}

const openLibc = (koffi: Koffi): KoffiLibrary => {
  if (process.platform === "darwin") return koffi.load("/usr/lib/libSystem.B.dylib")
  for (
    const name of [
      "libc.so.6",
      `libc.musl-${process.arch === "x64" ? "x86_64" : process.arch === "arm64" ? "aarch64" : process.arch}.so.1`
    ]
  ) {
    try {
      return koffi.load(name)
    } catch {
      // try the next name
    }
  }
  throw new Error("cannot open the C library")
}

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
 * Hardens this process once; later calls return the first report (the inspector checked again). `koffiPaths`
 * are the native module's candidate files; without them, the ones shipped in dist/.
 * A build that cannot ship dist/ (a single executable) calls it first with the
 * file it extracted: the agent's own call then gets that report.
 */
export const hardenProcess = (koffiPaths: ReadonlyArray<string> = bundledKoffiPaths()): HardeningReport => {
  if (applied !== undefined) return withInspector(applied)
  if (process.platform !== "linux" && process.platform !== "darwin") {
    applied = {
      coreDumpsOff: coreLimitIsZero(),
      debuggersBlocked: false,
      problem: `not supported on ${process.platform}`
    }
    return withInspector(applied)
  }
  const koffi = loadKoffi(koffiPaths)
  if (typeof koffi === "string") {
    applied = { coreDumpsOff: coreLimitIsZero(), debuggersBlocked: false, problem: koffi }
    return withInspector(applied)
  }
  const problems: Array<string> = []
  let coreDumpsOff = false
  let debuggersBlocked = false
  try {
    const libc = openLibc(koffi)
    koffi.struct("mairu_rlimit", { cur: "uint64_t", max: "uint64_t" })
    const setrlimit = libc.func("int setrlimit(int, const mairu_rlimit *)")
    coreDumpsOff = setrlimit(RLIMIT_CORE, { cur: 0, max: 0 }) === 0
    if (!coreDumpsOff) problems.push("setrlimit(RLIMIT_CORE, 0) failed")
    if (process.platform === "linux") {
      const prctl = libc.func("int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)")
      debuggersBlocked = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) === 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) === 0
      if (!debuggersBlocked) problems.push("prctl(PR_SET_DUMPABLE, 0) failed")
    } else {
      const ptrace = libc.func("int ptrace(int, int, void *, int)")
      debuggersBlocked = ptrace(PT_DENY_ATTACH, 0, null, 0) === 0
      if (!debuggersBlocked) problems.push("ptrace(PT_DENY_ATTACH) failed")
    }
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error))
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
    ? "Debuggers are blocked through a native helper, which mairu's npm package carries for Linux and macOS: " +
      "npm install -g mairu"
    : "Restart it as commands start it, with core dumps off: mairu kill-agent; mairu agent"
  return `the agent runs without part of its hardening: ${missing.join("; ")}${why}. ${next}`
}
