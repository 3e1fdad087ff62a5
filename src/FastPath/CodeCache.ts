import * as fs from "node:fs"
import * as path from "node:path"
import * as vm from "node:vm"

/**
 * Runs a CommonJS bundle with V8's code cache, so that a fast path does not compile the same
 * code again on every start (compiling is most of what its own code costs). A cache entry is code
 * this process runs, so one is used only when it is the user's own file in the user's own folder,
 * neither of them writable by anyone else, the folder no symbolic link; anything else runs the
 * bundle compiled afresh and writes nothing there. Entries are named after the bundle (version,
 * size, modification time, inode) and the Node.js that made them; one that V8 refuses (another
 * V8, other flags) is written anew when the process exits.
 */

const uid = process.getuid?.()

/** The user's own, and writable by nobody else. */
const ownAndClosed = (stat: fs.Stats) => uid === undefined || (stat.uid === uid && (stat.mode & 0o022) === 0)

type Folder = "usable" | "missing" | "refused"

const folderState = (dir: string): Folder => {
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false })
  if (stat === undefined) return "missing"
  return stat.isDirectory() && ownAndClosed(stat) ? "usable" : "refused"
}

/** The entry's bytes, if it is a regular file of the user's that nobody else can write (links not followed). */
const readEntry = (file: string): Buffer | undefined => {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch {
    return undefined
  }
  try {
    const stat = fs.fstatSync(fd)
    return stat.isFile() && ownAndClosed(stat) ? fs.readFileSync(fd) : undefined
  } catch {
    return undefined
  } finally {
    fs.closeSync(fd)
  }
}

/** Writes the entry (0600, by rename) in a folder of the user's (0700), and removes the variant's older entries. */
const writeEntry = (dir: string, variant: string, file: string, data: Buffer) => {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (folderState(dir) !== "usable") return
    const temporary = `${file}.${process.pid}.tmp`
    fs.writeFileSync(temporary, data, { mode: 0o600, flag: "wx" })
    fs.renameSync(temporary, file)
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith(`${variant}-`) && path.join(dir, name) !== file) {
        fs.rmSync(path.join(dir, name), { force: true })
      }
    }
  } catch {
    // Only a cache: the next start compiles afresh.
  }
}

/** A CommonJS module's source as Node wraps it (`Module.wrap`, without loading node:module for it). */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n});`

/**
 * Loads `bundle` (a CommonJS file) and returns its exports, through the cache entry of `variant`
 * (one per fast path, each holding the code its runs compiled) in `dir`. The bundle requires
 * nothing but Node's built-ins, through `load` (the entry's own require).
 */
export const requireWithCodeCache = (bundle: string, dir: string, variant: string, load: NodeJS.Require): unknown => {
  const fd = fs.openSync(bundle, "r")
  let source: string
  let stat: fs.Stats
  try {
    stat = fs.fstatSync(fd)
    source = fs.readFileSync(fd, "utf8")
  } finally {
    fs.closeSync(fd)
  }
  const name = `${variant}-${process.version}-${process.arch}-${stat.size}-${Math.trunc(stat.mtimeMs)}-${stat.ino}.v8`
  const file = path.join(dir, name)
  const folder = folderState(dir)
  const cachedData = folder === "usable" ? readEntry(file) : undefined
  const script = new vm.Script(wrap(source), { filename: bundle, cachedData })
  if (folder !== "refused" && (cachedData === undefined || script.cachedDataRejected === true)) {
    // At exit: the entry then holds the code this run compiled as well.
    process.once("exit", () => writeEntry(dir, variant, file, script.createCachedData()))
  }
  const module = { exports: {} }
  const run = script.runInThisContext() as (...args: ReadonlyArray<unknown>) => void
  run.call(module.exports, module.exports, load, module, bundle, path.dirname(bundle))
  return module.exports
}
