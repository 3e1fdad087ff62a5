import * as fs from "node:fs"

/**
 * The process listening on the unix socket `socketPath`, when /proc can tell
 * (Linux, a process of this user): its inode in /proc/net/unix, then the
 * process holding that inode open. Undefined anywhere else.
 */
export const socketOwner = (socketPath: string): { readonly pid: number; readonly command: string } | undefined => {
  try {
    const inodes = new Set<string>()
    for (const line of fs.readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
      // Num RefCount Protocol Flags Type St Inode Path
      const fields = line.trim().split(/\s+/)
      if (fields.length >= 8 && fields.slice(7).join(" ") === socketPath) inodes.add(`socket:[${fields[6]}]`)
    }
    if (inodes.size === 0) return undefined
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
      let fds: Array<string>
      try {
        fds = fs.readdirSync(`/proc/${entry}/fd`)
      } catch {
        continue
      }
      for (const fd of fds) {
        let target: string
        try {
          target = fs.readlinkSync(`/proc/${entry}/fd/${fd}`)
        } catch {
          continue
        }
        if (!inodes.has(target)) continue
        let command = ""
        try {
          command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter((part) => part !== "").join(
            " "
          )
        } catch {
          // Gone meanwhile; the pid still says which it was.
        }
        return { pid: Number(entry), command }
      }
    }
    return undefined
  } catch {
    return undefined
  }
}
