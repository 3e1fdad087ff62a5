import * as fs from "node:fs"
import * as path from "node:path"
import { socketPathTooLong } from "./SocketPathLength.js"

/**
 * Whether the agent socket at a path can be trusted: whoever can write a folder on
 * the way to it (or owns one) can put a fake agent there, which would hand out its
 * own credentials and login links. Trusted means: every folder on the path, symbolic
 * links followed and checked themselves, belongs to the user or root and is not
 * writable by group or others unless sticky; the socket's own folder belongs to the
 * user and is closed to others (0700); the socket belongs to the user or root.
 * The path is walked as the kernel walks it: a link is followed before a `..` after
 * it goes up. A few lstat calls, so that clients check it before each connection. A path
 * too long for a socket is refused here too, before anything binds or connects to it.
 */
export type SocketTrust =
  | { readonly _tag: "Trusted" }
  /** Nothing at the path yet (the folders that exist are fine). */
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Untrusted"; readonly message: string }

const MAX_LINKS = 40

const mode = (stat: fs.Stats) => (stat.mode & 0o7777).toString(8).padStart(4, "0")

const ELSEWHERE = "set MAIRU_AGENT_SOCK to a path in a folder of your own that only you can write"

const foreignOwner = (what: string, stat: fs.Stats, uid: number, socketPath: string) =>
  `${what} belongs to uid ${stat.uid}, neither you (uid ${uid}) nor root, so its owner could put a fake agent at ` +
  `${socketPath}; ${ELSEWHERE}`

/**
 * Checks `socketPath` for a process of `uid`. With `fixFolderMode` (the agent, before it
 * listens), a socket folder of the user's that others may enter is set to 0700 instead.
 */
export const checkSocketPath = (
  socketPath: string,
  options: { readonly uid?: number | undefined; readonly fixFolderMode?: boolean } = {}
): SocketTrust => {
  const uid = options.uid ?? process.getuid?.()
  if (uid === undefined) return { _tag: "Trusted" }
  const untrusted = (message: string): SocketTrust => ({ _tag: "Untrusted", message })
  const tooLong = socketPathTooLong(socketPath, "set MAIRU_AGENT_SOCK to a shorter path")
  if (tooLong !== undefined) return untrusted(tooLong)
  const trustedOwner = (stat: fs.Stats) => stat.uid === uid || stat.uid === 0

  // Not path.resolve: it drops `link/..` as text, where the kernel follows the link first and goes up
  // from where it leads. The walk below does as the kernel does (process.cwd() has no links in it).
  const absolute = path.isAbsolute(socketPath) ? socketPath : `${process.cwd()}/${socketPath}`
  const rootStat = fs.lstatSync("/")
  if (!trustedOwner(rootStat)) return untrusted(foreignOwner("/", rootStat, uid, socketPath))
  let current = "/"
  let currentStat = rootStat
  const remaining = absolute.split("/").filter((part) => part !== "")
  let links = 0
  while (remaining.length > 0) {
    const name = remaining.shift()!
    if (name === ".") continue
    if (name === "..") {
      current = path.dirname(current)
      currentStat = fs.lstatSync(current)
      continue
    }
    const next = path.join(current, name)
    let stat: fs.Stats | undefined
    try {
      stat = fs.lstatSync(next)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== "ENOENT" && code !== "ENOTDIR") return untrusted(`cannot check ${next} (${code ?? String(error)})`)
    }
    const isLast = remaining.length === 0 && stat?.isSymbolicLink() !== true
    // `current` holds the next step: others must not be able to replace it (the
    // socket's own folder has the stricter check below).
    if (!isLast && (currentStat.mode & 0o022) !== 0 && (currentStat.mode & 0o1000) === 0) {
      return untrusted(
        `${current} can be written by other users (mode ${
          mode(currentStat)
        }, no sticky bit), so they could put a fake ` +
          `agent at ${socketPath}; fix it with: chmod go-w ${current}, or ${ELSEWHERE}`
      )
    }
    // Nothing there: nothing to believe, and the agent checks (and closes) the folder before it listens.
    if (stat === undefined) {
      return isLast && options.fixFolderMode === true
        ? socketFolder(current, currentStat)
        : { _tag: "Missing" }
    }
    if (stat.isSymbolicLink()) {
      if (!trustedOwner(stat)) return untrusted(foreignOwner(`the symbolic link ${next}`, stat, uid, socketPath))
      if (++links > MAX_LINKS) return untrusted(`${socketPath} has too many symbolic links (a loop?)`)
      const target = fs.readlinkSync(next)
      if (path.isAbsolute(target)) {
        current = "/"
        currentStat = rootStat
      }
      remaining.unshift(...target.split("/").filter((part) => part !== ""))
      continue
    }
    if (isLast) {
      const folder = socketFolder(current, currentStat)
      if (folder._tag !== "Trusted") return folder
      if (!stat.isSocket()) return { _tag: "Missing" }
      return trustedOwner(stat) ? { _tag: "Trusted" } : untrusted(
        `${next} belongs to uid ${stat.uid}, neither you (uid ${uid}) nor root: it is not your agent; remove it: rm ${next}`
      )
    }
    if (!stat.isDirectory()) return { _tag: "Missing" }
    if (!trustedOwner(stat)) return untrusted(foreignOwner(next, stat, uid, socketPath))
    current = next
    currentStat = stat
  }
  return { _tag: "Missing" }

  /** The folder holding the socket: the user's own, closed to others. */
  function socketFolder(dir: string, stat: fs.Stats): SocketTrust {
    if (stat.uid !== uid) {
      return untrusted(
        `the agent socket's folder ${dir} belongs to uid ${stat.uid}, not to you (uid ${uid}); ${ELSEWHERE}`
      )
    }
    // Never closed by force: a shared folder such as /tmp is not the socket's to take.
    if ((stat.mode & 0o1000) !== 0) {
      return untrusted(
        `the agent socket's folder ${dir} is a shared folder (sticky bit set, mode ${mode(stat)}); ${ELSEWHERE}`
      )
    }
    if ((stat.mode & 0o077) === 0) return { _tag: "Trusted" }
    if (options.fixFolderMode === true) {
      fs.chmodSync(dir, 0o700)
      return { _tag: "Trusted" }
    }
    return untrusted(
      `the agent socket's folder ${dir} is open to other users (mode ${mode(stat)}); fix it with: chmod 700 ${dir}, ` +
        `or ${ELSEWHERE}`
    )
  }
}
