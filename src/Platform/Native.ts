import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { IS_SEA, seaRawAsset } from "../Sea.js"
import type { Koffi, KoffiFunction, KoffiLibrary, Platform } from "./Platform.js"

/**
 * koffi's prebuilt native module and the C library opened through it: what mairu calls
 * where Node has no API (the agent's hardening, a socket's peer, sock_diag). The npm
 * package carries the module for every platform in dist/koffi/<folder>/koffi.node, the
 * single executable carries its own platform's as an asset.
 */

/** Where a platform's module and C library are found. */
export type NativeTarget = Pick<Platform["hardening"], "koffiFolders" | "libc">

const musl = { x64: "x86_64", arm64: "aarch64" } as Record<string, string | undefined>

export const LINUX_NATIVE: NativeTarget = {
  koffiFolders: [`linux_${process.arch}`, `musl_${process.arch}`],
  libc: ["libc.so.6", `libc.musl-${musl[process.arch] ?? process.arch}.so.1`]
}

export const MACOS_NATIVE: NativeTarget = {
  koffiFolders: [`darwin_${process.arch}`],
  libc: ["/usr/lib/libSystem.B.dylib"]
}

/** Where the build puts the native module: next to the running mairu.cjs. */
export const bundledKoffiPaths = (target: NativeTarget): ReadonlyArray<string> => {
  const entry = process.argv[1]
  if (entry === undefined) return []
  let dir: string
  try {
    dir = path.dirname(fs.realpathSync(entry))
  } catch {
    return []
  }
  return target.koffiFolders.map((folder) => path.join(dir, "koffi", folder, "koffi.node"))
}

export const describeError = (error: unknown) => error instanceof Error ? error.message : String(error)

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
      errors.push(`${file}: ${describeError(error)}`)
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
    return `cannot write the native helper to ${os.tmpdir()} (${describeError(error)}); set TMPDIR to a folder of yours`
  }
  try {
    const file = path.join(dir, "koffi.node")
    fs.writeFileSync(file, asset, { mode: 0o500 })
    return loadKoffi([file])
  } catch (error) {
    return `cannot write the native helper to ${dir} (${describeError(error)}); set TMPDIR to a folder of yours`
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const openLibc = (koffi: Koffi, target: NativeTarget): KoffiLibrary => {
  for (const name of target.libc) {
    try {
      return koffi.load(name)
    } catch {
      // try the next name
    }
  }
  throw new Error(`cannot open the C library (${target.libc.join(", ")})`)
}

/** koffi and the C library it opened. */
export interface Native {
  readonly koffi: Koffi
  readonly libc: KoffiLibrary
}

let native: Native | string | undefined

/**
 * koffi and the C library, loaded once: as the agent hardens itself, else at the first
 * call (from `koffiPaths`, else the single executable's asset or the files shipped in
 * dist/). A string says why they are not available.
 */
export const loadNative = (target: NativeTarget, koffiPaths?: ReadonlyArray<string>): Native | string => {
  if (native !== undefined) return native
  const koffi = koffiPaths !== undefined
    ? loadKoffi(koffiPaths)
    : IS_SEA
    ? loadSeaKoffi()
    : loadKoffi(bundledKoffiPaths(target))
  if (typeof koffi === "string") return (native = koffi)
  try {
    native = { koffi, libc: openLibc(koffi, target) }
  } catch (error) {
    native = describeError(error)
  }
  return native
}

/** The C library's functions `signatures` declares (name → C prototype); a string says why they are not available. */
export const libcFunctions = <K extends string>(
  target: NativeTarget,
  signatures: Readonly<Record<K, string>>
): Readonly<Record<K, KoffiFunction>> | string => {
  const loaded = loadNative(target)
  if (typeof loaded === "string") return loaded
  try {
    const functions = {} as Record<K, KoffiFunction>
    for (const name of Object.keys(signatures) as Array<K>) functions[name] = loaded.libc.func(signatures[name])
    return functions
  } catch (error) {
    return `the C library lacks a function: ${describeError(error)}`
  }
}

/** `libcFunctions`, asked once: the same answer each later call. */
export const libcFunctionsOnce = <K extends string>(
  target: NativeTarget,
  signatures: Readonly<Record<K, string>>
): () => Readonly<Record<K, KoffiFunction>> | string => {
  let functions: Readonly<Record<K, KoffiFunction>> | string | undefined
  return () => (functions ??= libcFunctions(target, signatures))
}
