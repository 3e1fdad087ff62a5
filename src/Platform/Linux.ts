import * as fs from "node:fs"
import * as net from "node:net"
import type { KoffiLibrary, LoopbackConnection, LoopbackPeer, Platform, SocketListener } from "./Platform.js"
import { type RunTool, runTool } from "./Tools.js"
import { canRun, plainAddress, signalReaches, userNameOf } from "./Unix.js"

// Linux: /proc tells who holds a socket, prctl keeps debuggers out, setpriv passes on a parent's death.

/** An address's bytes as /proc/net/tcp{,6} print them: 32-bit words in host byte order; both orders accepted. */
const procHex = (address: string): ReadonlyArray<string> => {
  const plain = plainAddress(address)
  let bytes: Array<number>
  if (net.isIPv4(plain)) {
    bytes = plain.split(".").map(Number)
  } else if (net.isIPv6(plain)) {
    const [head = "", tail = ""] = plain.split("::")
    const groups = (part: string) => part === "" ? [] : part.split(":").map((group) => parseInt(group, 16))
    const known = [...groups(head), ...groups(tail)]
    const words = plain.includes("::")
      ? [...groups(head), ...Array<number>(8 - known.length).fill(0), ...groups(tail)]
      : known
    bytes = words.flatMap((word) => [word >> 8, word & 0xff])
  } else {
    return []
  }
  const hex = (list: ReadonlyArray<number>) =>
    list.map((byte) => byte.toString(16).padStart(2, "0")).join("").toUpperCase()
  const words: Array<Array<number>> = []
  for (let i = 0; i < bytes.length; i += 4) words.push(bytes.slice(i, i + 4))
  return [hex(words.flatMap((word) => [...word].reverse())), hex(bytes)]
}

/** The pid of a process of this user (all of them, for root) holding socket `inode` open. */
const pidHolding = (link: string, exceptPid?: number): number | undefined => {
  let entries: Array<string>
  try {
    entries = fs.readdirSync("/proc")
  } catch {
    return undefined
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === exceptPid) continue
    let fds: Array<string>
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${entry}/fd/${fd}`) === link) return Number(entry)
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined
}

const ESTABLISHED = "01"

/** /proc/net/tcp{,6}: the open connection whose local end is the client's, and its uid and inode. */
export const linuxLoopbackPeer = (connection: LoopbackConnection): LoopbackPeer => {
  const clientHex = procHex(connection.client.address)
  const serverHex = procHex(connection.server.address)
  let readable = false
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string
    try {
      text = fs.readFileSync(table, "latin1")
    } catch {
      continue
    }
    readable = true
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
      const fields = line.trim().split(/\s+/)
      if (fields.length < 10 || fields[3] !== ESTABLISHED) continue
      const [localAddress = "", localPort = ""] = fields[1]!.split(":")
      const [remoteAddress = "", remotePort = ""] = fields[2]!.split(":")
      if (
        parseInt(localPort, 16) === connection.client.port && parseInt(remotePort, 16) === connection.server.port &&
        clientHex.some((hex) => localAddress.endsWith(hex)) && serverHex.some((hex) => remoteAddress.endsWith(hex))
      ) {
        const inode = fields[9]!
        return {
          _tag: "Found",
          uid: Number(fields[7]),
          pid: inode === "0" ? undefined : pidHolding(`socket:[${inode}]`)
        }
      }
    }
  }
  return readable ? { _tag: "NotListed" } : { _tag: "CannotTell", reason: "/proc/net/tcp cannot be read" }
}

/** /proc/net/unix names the socket's inode; /proc/PID/fd, the process holding it. */
const socketListener = (socketPath: string): SocketListener | undefined => {
  const inodes = new Set<string>()
  try {
    for (const line of fs.readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
      // Num RefCount Protocol Flags Type St Inode Path
      const fields = line.trim().split(/\s+/)
      if (fields.length >= 8 && fields.slice(7).join(" ") === socketPath) inodes.add(`socket:[${fields[6]}]`)
    }
  } catch {
    return undefined
  }
  for (const inode of inodes) {
    const pid = pidHolding(inode, process.pid)
    if (pid === undefined) continue
    let command = ""
    try {
      command = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((part) => part !== "").join(" ")
    } catch {
      // Gone meanwhile; the pid still says which it was.
    }
    return { pid, command }
  }
  return undefined
}

const isProcessAlive = (pid: number): boolean => {
  if (!signalReaches(pid)) return false
  let stat: string
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  } catch {
    return true // no /proc mounted: the signal test has to do
  }
  // "pid (comm) state …"; comm may itself hold ") ".
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
}

const SETPRIV = "/usr/bin/setpriv"

const hasSetpriv = () => canRun(SETPRIV)

const PR_GET_DUMPABLE = 3
const PR_SET_DUMPABLE = 4

const musl = { x64: "x86_64", arm64: "aarch64" } as Record<string, string | undefined>

export const makeLinux = (run: RunTool = runTool): Platform => ({
  name: "Linux",
  socketPathLimit: 108,
  loopbackPeer: (connection) => Promise.resolve(linuxLoopbackPeer(connection)),
  socketListener,
  userName: (uid) => userNameOf(uid, run),
  isProcessAlive,
  desktopOpener: (hasDisplay) => hasDisplay ? "xdg-open" : undefined,
  withParentDeathSignal: (argv) => hasSetpriv() ? [SETPRIV, "--pdeathsig", "TERM", "--", ...argv] : argv,
  hardening: {
    koffiFolders: [`linux_${process.arch}`, `musl_${process.arch}`],
    libc: ["libc.so.6", `libc.musl-${musl[process.arch] ?? process.arch}.so.1`],
    debuggerCall: "prctl(PR_SET_DUMPABLE, 0)",
    blockDebuggers: (libc: KoffiLibrary) => {
      const prctl = libc.func("int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)")
      return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) === 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) === 0
    }
  },
  weaker: () =>
    hasSetpriv() ? [] : [
      `exec: the command keeps running if mairu is killed (SIGKILL), because ${SETPRIV} (util-linux) is missing`
    ]
})

export const linux: Platform = makeLinux()
