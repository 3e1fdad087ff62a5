import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { IS_SEA, seaRawAsset } from "../Sea.js"
import { openInspectorUrl } from "./Inspector.js"
import type { Koffi, KoffiFunction, KoffiLibrary, Platform } from "./Platform.js"
import { platform as thisPlatform } from "./ThisPlatform.js"

/**
 * Keeps the agent's memory out of core files and debuggers: core file size 0
 * (setrlimit), and what the platform has against debuggers (Linux: not dumpable,
 * so no ptrace and no /proc/PID/mem or environ for other processes of the user;
 * macOS: ptrace(PT_DENY_ATTACH)). Node has no API for these; they go through
 * koffi's prebuilt native module: the npm package carries it for every platform in
 * dist/koffi/<folder>/koffi.node, the single executable carries its own platform's
 * as an asset. Without it debuggers are not blocked, and core dumps are off only when
 * the agent was started with a core file size limit of 0 (as a command starts it);
 * `mairu status` says which.
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

/** Where the build puts the native module: next to the running mairu.cjs. */
export const bundledKoffiPaths = (on: Platform = thisPlatform): ReadonlyArray<string> => {
  const entry = process.argv[1]
  if (entry === undefined) return []
  let dir: string
  try {
    dir = path.dirname(fs.realpathSync(entry))
  } catch {
    return []
  }
  return on.hardening.koffiFolders.map((folder) => path.join(dir, "koffi", folder, "koffi.node"))
}

const describe = (error: unknown) => error instanceof Error ? error.message : String(error)

/** Loads the first of `candidates` that exists and loads, or says why none did. */
const loadKoffi = (candidates: ReadonlyArray<string>): Koffi | string => {
  const errors: Array<string> = []
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue
    try {
      const module = { exports: {} }
      process.dlopen(module, file)
      return module.exports as Koffi
    } catch (error) {
      errors.push(`${file}: ${describe(error)}`)
    }
  }
  return errors.length > 0
    ? `the native helper did not load (${errors.join("; ")})`
    : `no native helper for ${process.platform}-${process.arch} in this installation`
}

/**
 * The single executable's native module: its asset, written to a file of a private
 * folder (0700, the file 0500) for process.dlopen, both removed once it is loaded.
 */
const loadSeaKoffi = (): Koffi | string => {
  const asset = seaRawAsset("koffi.node")
  if (asset === undefined) return loadKoffi([])
  let dir: string
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-native-"))
  } catch (error) {
    return `cannot write the native helper to ${os.tmpdir()} (${describe(error)}); set TMPDIR to a folder of yours`
  }
  try {
    const file = path.join(dir, "koffi.node")
    fs.writeFileSync(file, asset, { mode: 0o500 })
    return loadKoffi([file])
  } catch (error) {
    return `cannot write the native helper to ${dir} (${describe(error)}); set TMPDIR to a folder of yours`
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const openLibc = (koffi: Koffi, on: Platform): KoffiLibrary => {
  for (const name of on.hardening.libc) {
    try {
      return koffi.load(name)
    } catch {
      // try the next name
    }
  }
  throw new Error(`cannot open the C library (${on.hardening.libc.join(", ")})`)
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

/** koffi and the C library it opened. */
export interface Native {
  readonly koffi: Koffi
  readonly libc: KoffiLibrary
}

let native: Native | string | undefined

/**
 * koffi and the C library, loaded once: by hardenProcess as the agent starts, else at the
 * first call (the single executable's asset, or the files shipped in dist/). A string
 * says why they are not available.
 */
export const loadNative = (koffiPaths?: ReadonlyArray<string>, on: Platform = thisPlatform): Native | string => {
  if (native !== undefined) return native
  const koffi = koffiPaths !== undefined
    ? loadKoffi(koffiPaths)
    : IS_SEA
    ? loadSeaKoffi()
    : loadKoffi(bundledKoffiPaths(on))
  if (typeof koffi === "string") return (native = koffi)
  try {
    native = { koffi, libc: openLibc(koffi, on) }
  } catch (error) {
    native = describe(error)
  }
  return native
}

/** The C library's functions `signatures` declares (name → C prototype); a string says why they are not available. */
export const libcFunctions = <K extends string>(
  signatures: Readonly<Record<K, string>>
): Readonly<Record<K, KoffiFunction>> | string => {
  const loaded = loadNative()
  if (typeof loaded === "string") return loaded
  try {
    const functions = {} as Record<K, KoffiFunction>
    for (const name of Object.keys(signatures) as Array<K>) functions[name] = loaded.libc.func(signatures[name])
    return functions
  } catch (error) {
    return `the C library lacks a function: ${describe(error)}`
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
  const loaded = loadNative(koffiPaths, on)
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
    problems.push(describe(error))
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
