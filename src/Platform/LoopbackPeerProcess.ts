import * as fs from "node:fs"
import { type RunProgram, runProgram } from "./ProcessInfo.js"
import { diagTcpSocket } from "./SockDiag.js"

/**
 * The process at the client end of a loopback TCP connection that this process
 * accepted (a request to exec's ecs endpoint). Linux: the connection's socket inode
 * (from sock_diag, else /proc/net/tcp), then the process holding it open, looked for first among
 * this process's descendants (the command exec runs, and what it starts), then among
 * every process of the socket's owner. macOS: `lsof`.
 */

export interface Endpoint {
  readonly address: string
  readonly port: number
}

export type PeerProcess = { readonly pid: number } | { readonly reason: string }

/** Processes searched at most among the descendants before the wider scan. */
const MAX_DESCENDANTS = 512

// Linux

/** An IPv4 address as /proc/net/tcp writes it: the 32-bit word in host byte order, in hex, either order accepted. */
const ipv4Hex = (address: string): ReadonlyArray<string> => {
  const bytes = address.replace(/^::ffff:/i, "").split(".").map((part) =>
    Number(part).toString(16).padStart(2, "0").toUpperCase()
  )
  if (bytes.length !== 4) return []
  return [[...bytes].reverse().join(""), bytes.join("")]
}

/**
 * The inode and owner of the client end of the connection `client` → `server` in
 * the text of /proc/net/tcp (or tcp6, where IPv4 addresses are mapped).
 */
export const findTcpSocket = (
  table: string,
  client: Endpoint,
  server: Endpoint
): { readonly inode: string; readonly uid: number } | undefined => {
  const clientHex = ipv4Hex(client.address)
  const serverHex = ipv4Hex(server.address)
  for (const line of table.split("\n").slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/)
    if (fields.length < 10) continue
    const [localAddress, localPort] = fields[1]!.split(":")
    const [remoteAddress, remotePort] = fields[2]!.split(":")
    if (
      parseInt(localPort ?? "", 16) === client.port && parseInt(remotePort ?? "", 16) === server.port &&
      clientHex.some((hex) => localAddress?.endsWith(hex)) && serverHex.some((hex) => remoteAddress?.endsWith(hex)) &&
      fields[9] !== "0"
    ) {
      return { inode: fields[9]!, uid: Number(fields[7]) }
    }
  }
  return undefined
}

const readText = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "latin1")
  } catch {
    return undefined
  }
}

const listDir = (dir: string): Array<string> => {
  try {
    return fs.readdirSync(dir)
  } catch {
    return []
  }
}

/** The children of `pid`: those its main thread started first (where most programs start them), then its other threads'. */
function* childrenOf(pid: number, proc: string): Generator<number> {
  const read = (task: string) =>
    (readText(`${proc}/${pid}/task/${task}/children`) ?? "").split(" ").filter((word) => word !== "").map(Number)
  yield* read(String(pid))
  for (const task of listDir(`${proc}/${pid}/task`)) {
    if (task !== String(pid)) yield* read(task)
  }
}

/** The descendants of `root`, nearest first, read only as far as they are asked for. */
export function* descendantsOf(root: number, proc = "/proc"): Generator<number> {
  const seen = new Set([root])
  const queue = [root]
  while (queue.length > 0 && seen.size <= MAX_DESCENDANTS) {
    for (const child of childrenOf(queue.shift()!, proc)) {
      if (seen.has(child)) continue
      seen.add(child)
      yield child
      queue.push(child)
    }
  }
}

/** True when process `pid` has `target` (`socket:[INODE]`) among its open descriptors, newest first. */
const holds = (pid: number, target: string, proc: string): boolean =>
  listDir(`${proc}/${pid}/fd`).map(Number).sort((a, b) => b - a).some((fd) => {
    try {
      return fs.readlinkSync(`${proc}/${pid}/fd/${fd}`) === target
    } catch {
      return false
    }
  })

const ownerOf = (pid: number, proc: string): number | undefined => {
  try {
    return fs.statSync(`${proc}/${pid}`).uid
  } catch {
    return undefined
  }
}

/** The client end of the connection: asked of the kernel by sock_diag, else found in /proc/net/tcp{,6}. */
const clientSocket = (client: Endpoint, server: Endpoint, proc: string) => {
  if (proc === "/proc") {
    const found = diagTcpSocket(client, server)
    if (found !== undefined) return found
  }
  for (const table of ["net/tcp", "net/tcp6"]) {
    const text = readText(`${proc}/${table}`)
    const found = text === undefined ? undefined : findTcpSocket(text, client, server)
    if (found !== undefined) return found
  }
  return undefined
}

export const linuxLoopbackPeer = (client: Endpoint, server: Endpoint, proc = "/proc"): PeerProcess => {
  const socket = clientSocket(client, server, proc)
  if (socket === undefined) return { reason: "the kernel no longer knew the connection (closed already?)" }
  const target = `socket:[${socket.inode}]`
  const searched = new Set([process.pid])
  for (const pid of descendantsOf(process.pid, proc)) {
    if (holds(pid, target, proc)) return { pid }
    searched.add(pid)
  }
  const uid = socket.uid
  for (const entry of listDir(proc)) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    if (searched.has(pid) || ownerOf(pid, proc) !== uid) continue
    if (holds(pid, target, proc)) return { pid }
  }
  return { reason: `no process of uid ${uid} that this user can see holds the connection` }
}

// macOS

/**
 * The pid whose descriptor is the connection `client` → `server` in the output of
 * `lsof -nP -iTCP:PORT -Fpn`: a `p` line per process, then `n` lines `A:P->B:Q`.
 */
export const parseLsofTcp = (text: string, client: Endpoint, server: Endpoint): number | undefined => {
  const wanted = `${client.address}:${client.port}->${server.address}:${server.port}`
  let pid: number | undefined
  for (const line of text.split("\n")) {
    if (line.startsWith("p")) pid = Number(line.slice(1))
    else if (line.startsWith("n") && line.slice(1) === wanted && pid !== undefined && pid !== process.pid) return pid
  }
  return undefined
}

export const macosLoopbackPeer = async (
  client: Endpoint,
  server: Endpoint,
  run: RunProgram = runProgram
): Promise<PeerProcess> => {
  const text = await run("/usr/sbin/lsof", ["-nP", "-w", `-iTCP:${client.port}`, "-Fpn"])
  if (text === undefined) return { reason: "lsof could not list the connection" }
  const pid = parseLsofTcp(text, client, server)
  return pid === undefined ? { reason: "lsof showed no process holding the connection" } : { pid }
}

// This platform

/** The process at the client end of the connection `client` → `server` (this process's end), by this platform's means. */
export const loopbackPeerProcess = (client: Endpoint, server: Endpoint): Promise<PeerProcess> =>
  process.platform === "linux"
    ? Promise.resolve(linuxLoopbackPeer(client, server))
    : process.platform === "darwin"
    ? macosLoopbackPeer(client, server)
    : Promise.resolve({ reason: `connections cannot be traced to processes on ${process.platform}` })
