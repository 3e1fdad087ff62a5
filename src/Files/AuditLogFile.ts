import * as fs from "node:fs"
import * as path from "node:path"
import { describeOwner } from "./FileOwner.js"

/**
 * The audit file MAIRU_AUDIT_LOG names: opened for appending, mode 0600, in a
 * folder that only the user (or root) can write, below folders that no other user
 * can change (sticky ones such as /tmp aside, which may lie above it but not hold it).
 * Another user who could write the folder could replace the file, or read a
 * trail of where the user's credentials went.
 */

const mode = (stat: fs.Stats) => (stat.mode & 0o7777).toString(8).padStart(4, "0")

/** Why `dir` (a real path, links resolved) may not hold the audit file, or undefined. */
const folderProblem = (dir: string, uid: number): string | undefined => {
  const stat = fs.statSync(dir)
  if (!stat.isDirectory()) return `${dir} is not a folder`
  if (stat.uid !== uid && stat.uid !== 0) return `its folder ${dir} belongs to ${describeOwner(stat.uid)}, not to you`
  if ((stat.mode & 0o022) !== 0) {
    return `other users can write its folder ${dir} (mode ${mode(stat)}); ` +
      `use a folder of your own, e.g. ~/.local/state/mairu, or run: chmod go-w ${dir}`
  }
  for (let above = path.dirname(dir);; above = path.dirname(above)) {
    const up = fs.statSync(above)
    if (up.uid !== uid && up.uid !== 0) return `the folder ${above} belongs to ${describeOwner(up.uid)}`
    if ((up.mode & 0o022) !== 0 && (up.mode & 0o1000) === 0) {
      return `other users can write the folder ${above} (mode ${mode(up)}, no sticky bit), so they could replace ` +
        `the folders below it; use a folder of your own, e.g. ~/.local/state/mairu`
    }
    if (above === path.dirname(above)) return undefined
  }
}

export type AuditLog = { readonly fd: number; readonly path: string } | { readonly problem: string }

/** Opens `file` for appending, creating it with mode 0600, or says why it may not be used. */
export const openAuditLog = (file: string): AuditLog => {
  if (!path.isAbsolute(file)) return { problem: `${file} is not an absolute path` }
  const uid = process.getuid?.()
  let real: string
  try {
    const dir = fs.realpathSync(path.dirname(file))
    if (uid !== undefined) {
      const problem = folderProblem(dir, uid)
      if (problem !== undefined) return { problem }
    }
    real = path.join(dir, path.basename(file))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === "ENOENT"
      ? {
        problem: `its folder ${path.dirname(file)} does not exist; create it with: mkdir -p -m 700 ${
          path.dirname(file)
        }`
      }
      : { problem: (error as Error).message }
  }
  let fd: number
  try {
    fd = fs.openSync(
      real,
      fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW,
      0o600
    )
  } catch (error) {
    return { problem: `cannot open it: ${(error as Error).message}` }
  }
  const refuse = (problem: string): AuditLog => {
    fs.closeSync(fd)
    return { problem }
  }
  const stat = fs.fstatSync(fd)
  if (!stat.isFile()) return refuse(`${real} is not a regular file`)
  if (uid !== undefined && stat.uid !== uid) return refuse(`${real} belongs to ${describeOwner(stat.uid)}, not to you`)
  if ((stat.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600)
  return { fd, path: real }
}

/** Appends one line; the error message when it cannot. */
export const appendLine = (fd: number, line: string): string | undefined => {
  try {
    fs.writeSync(fd, line)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
