import * as fs from "node:fs"
import { platform } from "../Platform/ThisPlatform.js"

/**
 * Files whose content decides where credentials go must be the user's own: a
 * `.mairu.json` or a `servers.d` file that another user owns or can change could
 * send the user's tokens, or the user's approval, elsewhere.
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
  | { readonly ok: false; readonly reason: string; readonly foreign: boolean }

/**
 * Reads `file` (following links) and checks the file it read: owned by the user or
 * root and, with `notWritableByOthers`, writable by no group or other user.
 */
export const readOwnFile = (file: string, options: { readonly notWritableByOthers: boolean }): OwnFile => {
  let fd: number
  try {
    fd = fs.openSync(file, "r")
  } catch (error) {
    return { ok: false, reason: (error as Error).message, foreign: false }
  }
  try {
    const stat = fs.fstatSync(fd)
    if (!ownedByUserOrRoot(stat)) {
      return {
        ok: false,
        reason: `it belongs to ${describeOwner(stat.uid)}, not to you`,
        foreign: true
      }
    }
    if (options.notWritableByOthers && (stat.mode & 0o022) !== 0) {
      return {
        ok: false,
        reason: `other users can change it (mode ${(stat.mode & 0o777).toString(8).padStart(4, "0")}); ` +
          `if its content is yours, run: chmod go-w ${file}`,
        foreign: true
      }
    }
    return { ok: true, bytes: fs.readFileSync(fd), stat }
  } catch (error) {
    return { ok: false, reason: (error as Error).message, foreign: false }
  } finally {
    fs.closeSync(fd)
  }
}
