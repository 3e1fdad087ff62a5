import * as fs from "node:fs"
import * as path from "node:path"

/**
 * Keeps the agent's memory out of core files and debuggers: core file size 0
 * (setrlimit), on Linux not dumpable (prctl PR_SET_DUMPABLE 0: no core, no ptrace
 * and no /proc/PID/mem or environ for other processes of the user), on macOS
 * ptrace(PT_DENY_ATTACH). Node has no API for these; they go through koffi's
 * prebuilt native module, which the build copies to dist/koffi/<platform>/koffi.node.
 * Without it (a platform without a prebuilt binary, a single executable) the agent
 * runs unhardened and says so in `mairu status`.
 */

export interface HardeningReport {
  /** setrlimit(RLIMIT_CORE, 0) succeeded. */
  readonly coreDumpsOff: boolean
  /** Linux: not dumpable; macOS: PT_DENY_ATTACH. */
  readonly debuggersBlocked: boolean
  /** Why a step is missing, if one is. */
  readonly problem?: string
}

export interface KoffiFunction {
  (...args: ReadonlyArray<unknown>): number
}
export interface KoffiLibrary {
  func(signature: string): KoffiFunction
}
export interface Koffi {
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

/** koffi and the C library it opened. */
export interface Native {
  readonly koffi: Koffi
  readonly libc: KoffiLibrary
}

let native: Native | string | undefined

/**
 * koffi and the C library, loaded once: by hardenProcess (with the file a single
 * executable extracted), else at the first call from the files shipped in dist/. A
 * string says why they are not available.
 */
export const loadNative = (koffiPaths: ReadonlyArray<string> = bundledKoffiPaths()): Native | string => {
  if (native !== undefined) return native
  const koffi = loadKoffi(koffiPaths)
  if (typeof koffi === "string") return (native = koffi)
  try {
    native = { koffi, libc: openLibc(koffi) }
  } catch (error) {
    native = error instanceof Error ? error.message : String(error)
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
    return `the C library lacks a function: ${error instanceof Error ? error.message : String(error)}`
  }
}

let applied: HardeningReport | undefined

/**
 * Hardens this process once; later calls return the first report. `koffiPaths`
 * are the native module's candidate files; without them, the ones shipped in dist/.
 * A build that cannot ship dist/ (a single executable) calls it first with the
 * file it extracted: the agent's own call then gets that report.
 */
export const hardenProcess = (koffiPaths: ReadonlyArray<string> = bundledKoffiPaths()): HardeningReport => {
  if (applied !== undefined) return applied
  if (process.platform !== "linux" && process.platform !== "darwin") {
    applied = { coreDumpsOff: false, debuggersBlocked: false, problem: `not supported on ${process.platform}` }
    return applied
  }
  const loaded = loadNative(koffiPaths)
  if (typeof loaded === "string") {
    applied = { coreDumpsOff: false, debuggersBlocked: false, problem: loaded }
    return applied
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
  applied = { coreDumpsOff, debuggersBlocked, ...(problems.length > 0 ? { problem: problems.join("; ") } : {}) }
  return applied
}
