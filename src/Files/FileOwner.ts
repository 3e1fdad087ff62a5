import * as fs from "node:fs"
import { platform } from "../Platform/ThisPlatform.js"

/**
 * Files whose content decides where credentials go must be the user's own: a
 * `.mairu.json` or a `servers.d` file that another user owns or can change could
 * send the user's tokens, or the user's approval, elsewhere. Every file mairu reads
 * is read through readOwnFile, which also bounds what it reads.
 */

/** `alice (uid 1001)`, or `uid 1001` when the name is unknown. */
export const describeOwner = (uid: number): string => {
  const name = platform.userName(uid)
  return name === undefined ? `uid ${uid}` : `${name} (uid ${uid})`
}

/** True when the file is owned by the user running mairu, or by root (always true where uids do not exist). */
export const ownedByUserOrRoot = (stat: fs.Stats): boolean => {
  const uid = process.getuid?.()
  return uid === undefined || stat.uid === uid || stat.uid === 0
}

export type OwnFile =
  | { readonly ok: true; readonly bytes: Buffer; readonly stat: fs.Stats }
  | {
    readonly ok: false
    readonly reason: string
    /** Another user owns it or can change it. */
    readonly foreign: boolean
    /** Nothing is there. */
    readonly missing: boolean
  }

/** The most mairu reads of any of its files (a configuration, a trust record, a cached registration). */
export const MAX_FILE_BYTES = 64 * 1024

/**
 * What `fd` gives, up to a little more than `limit` bytes: a file's size says nothing of what
 * reading it gives (/proc files say 0 and give more), so the reading stops past the limit
 * instead. Reads go in blocks of 8 KiB, a size that every /proc file accepts (pagemap takes
 * only multiples of 8).
 */
const readAtMost = (fd: number, limit: number): Buffer => {
  const block = 8192
  const buffer = Buffer.alloc(limit + block)
  let length = 0
  while (length <= limit) {
    const read = fs.readSync(fd, buffer, length, block, null)
    if (read === 0) break
    length += read
  }
  return buffer.subarray(0, length)
}

/**
 * Reads `file` (following links) once, and checks what it opened: a regular file
 * (never a device, a pipe or a folder) owned by the user or root, with
 * `notWritableByOthers` writable by no group or other user, and of at most
 * MAX_FILE_BYTES (a hostile link to /proc/self/pagemap or a huge file is refused
 * after that much, not read into memory).
 */
export const readOwnFile = (file: string, options: { readonly notWritableByOthers: boolean }): OwnFile => {
  let fd: number
  try {
    // Non-blocking: opening a named pipe must not wait for a writer; it is refused below.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY)
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT"
    return { ok: false, reason: (error as Error).message, foreign: false, missing }
  }
  const refused = (reason: string, foreign = false): OwnFile => ({ ok: false, reason, foreign, missing: false })
  try {
    const stat = fs.fstatSync(fd)
    if (!stat.isFile()) return refused("it is not a regular file")
    if (!ownedByUserOrRoot(stat)) return refused(`it belongs to ${describeOwner(stat.uid)}, not to you`, true)
    if (options.notWritableByOthers && (stat.mode & 0o022) !== 0) {
      return refused(
        `other users can change it (mode ${(stat.mode & 0o777).toString(8).padStart(4, "0")}); ` +
          `if its content is yours, run: chmod go-w ${file}`,
        true
      )
    }
    const bytes = stat.size > MAX_FILE_BYTES ? undefined : readAtMost(fd, MAX_FILE_BYTES)
    if (bytes === undefined || bytes.length > MAX_FILE_BYTES) {
      return refused(
        `it is larger than ${MAX_FILE_BYTES / 1024} KiB, more than any file of mairu holds (a link to a device or ` +
          `a /proc file?), so mairu does not read it`
      )
    }
    return { ok: true, bytes, stat }
  } catch (error) {
    return refused((error as Error).message)
  } finally {
    fs.closeSync(fd)
  }
}
