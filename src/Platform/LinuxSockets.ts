import * as fs from "node:fs"
import * as os from "node:os"
import { addressBytes, unmapped } from "./Addresses.js"
import type { LoopbackConnection, LoopbackPeer, LoopbackPeerQuery, SocketListener } from "./Platform.js"
import { diagTcpSocket, type TcpEnd, type TcpSocket } from "./SockDiag.js"
import { readText } from "./Unix.js"

// Linux: who holds a socket. The kernel names a connection's socket (its inode and owner)
// through sock_diag, else in /proc/net/tcp{,6}; /proc/PID/fd names the processes holding it.

const listDir = (dir: string): Array<string> => {
  try {
    return fs.readdirSync(dir)
  } catch {
    return []
  }
}

/** An address as /proc/net/tcp{,6} writes it (32-bit words in hex, each in host byte order), as comparable bytes. */
const procAddressKey = (hex: string): string => {
  const bytes: Array<number> = []
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = (hex.slice(word, word + 8).match(/../g) ?? []).map((pair) => parseInt(pair, 16))
    bytes.push(...(os.endianness() === "LE" ? wordBytes.reverse() : wordBytes))
  }
  return unmapped(bytes).join(".")
}

/**
 * The socket whose local end is `source` and remote end `destination` in the text of
 * /proc/net/tcp or tcp6 (IPv4 addresses mapped or not), when a process holds it.
 */
export const findTcpSocket = (table: string, source: TcpEnd, destination: TcpEnd): TcpSocket | undefined => {
  const sourceKey = addressBytes(source.address)?.join(".")
  const destinationKey = addressBytes(destination.address)?.join(".")
  if (sourceKey === undefined || destinationKey === undefined) return undefined
  for (const line of table.split("\n").slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    const fields = line.trim().split(/\s+/)
    if (fields.length < 10 || fields[9] === "0") continue
    const [localAddress = "", localPort = ""] = fields[1]!.split(":")
    const [remoteAddress = "", remotePort = ""] = fields[2]!.split(":")
    if (
      parseInt(localPort, 16) === source.port && parseInt(remotePort, 16) === destination.port &&
      procAddressKey(localAddress) === sourceKey && procAddressKey(remoteAddress) === destinationKey
    ) {
      return { inode: fields[9]!, uid: Number(fields[7]) }
    }
  }
  return undefined
}

/** The connection's client end, from /proc/net/tcp{,6}: "gone" when not listed, undefined when there is no /proc. */
const procTcpSocket = (client: TcpEnd, server: TcpEnd): TcpSocket | "gone" | undefined => {
  let readable = false
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string
    try {
      text = fs.readFileSync(table, "latin1")
    } catch (error) {
      // Out of descriptors is no reason to trust a connection.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") readable = true
      continue
    }
    readable = true
    const found = findTcpSocket(text, client, server)
    if (found !== undefined) return found
  }
  return readable ? "gone" : undefined
}

/** Processes searched at most among the descendants before the wider scan. */
const MAX_DESCENDANTS = 512

/** The children of `pid`: those its main thread started first (where most programs start them), then its other threads'. */
function* childrenOf(pid: number): Generator<number> {
  const read = (task: string) =>
    (readText(`/proc/${pid}/task/${task}/children`) ?? "").split(" ").filter((word) => word !== "").map(Number)
  yield* read(String(pid))
  for (const task of listDir(`/proc/${pid}/task`)) {
    if (task !== String(pid)) yield* read(task)
  }
}

/** The descendants of `root`, nearest first, read only as far as they are asked for. */
export function* descendantsOf(root: number): Generator<number> {
  const seen = new Set([root])
  const queue = [root]
  while (queue.length > 0 && seen.size <= MAX_DESCENDANTS) {
    for (const child of childrenOf(queue.shift()!)) {
      if (seen.has(child)) continue
      seen.add(child)
      yield child
      queue.push(child)
    }
  }
}

/** True when process `pid` has `target` (`socket:[INODE]`) among its open descriptors, newest first. */
const holds = (pid: number, target: string): boolean =>
  listDir(`/proc/${pid}/fd`).map(Number).sort((a, b) => b - a).some((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === target
    } catch {
      return false // closed meanwhile
    }
  })

const ownerOf = (pid: number): number | undefined => {
  try {
    return fs.statSync(`/proc/${pid}`).uid
  } catch {
    return undefined
  }
}

/**
 * A process holding socket `inode` open: among `first` (read lazily) before the others,
 * only processes of `uid` when it is given, never `except`.
 */
export const pidHolding = (
  inode: string,
  options: { readonly first?: Iterable<number>; readonly uid?: number; readonly except?: number }
): number | undefined => {
  const target = `socket:[${inode}]`
  const searched = new Set(options.except === undefined ? [] : [options.except])
  for (const pid of options.first ?? []) {
    if (searched.has(pid)) continue
    if (holds(pid, target)) return pid
    searched.add(pid)
  }
  for (const entry of listDir("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (searched.has(pid) || (options.uid !== undefined && ownerOf(pid) !== options.uid)) continue
    if (holds(pid, target)) return pid
  }
  return undefined
}

/** Another user's descriptors are closed to this process, unless it runs as root. */
const canSeeDescriptorsOf = (uid: number) => {
  const self = process.geteuid?.()
  return self === undefined || self === 0 || self === uid
}

/** The client end's socket: asked of the kernel by sock_diag, else found in /proc/net/tcp{,6}. */
const clientSocket = (client: TcpEnd, server: TcpEnd): TcpSocket | "gone" | undefined =>
  diagTcpSocket(client, server) ?? procTcpSocket(client, server)

/**
 * The process found holding the last connection, looked at first for the next: an SDK that opens a
 * connection for each request opens the next one from the same process. Only an order of search:
 * a process counts once it holds the connection's socket.
 */
let lastHolder: number | undefined

function* lastHolderThen(others: Iterable<number>): Generator<number> {
  if (lastHolder !== undefined) yield lastHolder
  yield* others
}

export const linuxLoopbackPeer = (connection: LoopbackConnection, query: LoopbackPeerQuery = {}): LoopbackPeer => {
  const socket = clientSocket(connection.client, connection.server)
  if (socket === undefined) return { _tag: "CannotTell", reason: "/proc/net/tcp cannot be read" }
  if (socket === "gone") return { _tag: "NotListed" }
  const wanted = query.pid ?? false
  const pid = wanted === false || !canSeeDescriptorsOf(socket.uid)
    ? undefined
    : pidHolding(socket.inode, {
      uid: socket.uid,
      first: lastHolderThen(wanted === true ? [] : descendantsOf(wanted.descendantsOf))
    })
  if (pid !== undefined) lastHolder = pid
  return { _tag: "Found", uid: socket.uid, pid }
}

/** /proc/net/unix names the socket's inode; /proc/PID/fd, the process holding it. */
export const linuxSocketListener = (socketPath: string): SocketListener | undefined => {
  const text = readText("/proc/net/unix")
  if (text === undefined) return undefined
  const inodes = new Set<string>()
  for (const line of text.split("\n").slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path
    const fields = line.trim().split(/\s+/)
    if (fields.length >= 8 && fields.slice(7).join(" ") === socketPath) inodes.add(fields[6]!)
  }
  for (const inode of inodes) {
    const pid = pidHolding(inode, { except: process.pid })
    if (pid === undefined) continue
    const cmdline = readText(`/proc/${pid}/cmdline`) ?? "" // gone meanwhile: the pid still says which it was
    return { pid, command: cmdline.split("\0").filter((part) => part !== "").join(" ") }
  }
  return undefined
}
