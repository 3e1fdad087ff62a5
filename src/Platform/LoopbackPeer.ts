import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"

/**
 * Which local user is at the other end of a TCP connection on loopback. On Linux the
 * kernel's tables (/proc/net/tcp and /proc/net/tcp6) list every connection with the
 * uid that owns its socket; the client's end, found by its address and port, names
 * the user who connected.
 */

/** The end of a connection as a server's socket sees it. */
export interface ConnectionEnds {
  readonly remoteAddress?: string | undefined
  readonly remotePort?: number | undefined
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
}

const ipv4Bytes = (address: string): Array<number> => address.split(".").map(Number)

const ipv6Bytes = (address: string): Array<number> | undefined => {
  const [head, tail, more] = address.replace(/%.*$/, "").split("::")
  if (more !== undefined) return undefined
  const words = (part: string | undefined): Array<number> =>
    part === undefined || part === ""
      ? []
      : part.split(":").flatMap((group) => {
        if (!group.includes(".")) return [parseInt(group, 16)]
        const [a, b, c, d] = ipv4Bytes(group)
        return [(a! << 8) | b!, (c! << 8) | d!]
      })
  const start = words(head)
  const end = words(tail)
  const all = tail === undefined ? start : [...start, ...Array<number>(8 - start.length - end.length).fill(0), ...end]
  if (all.length !== 8 || all.some((word) => !Number.isInteger(word) || word < 0 || word > 0xffff)) return undefined
  return all.flatMap((word) => [word >> 8, word & 0xff])
}

/** An address as comparable bytes: IPv4 (also when IPv4-mapped) as 4 bytes, IPv6 as 16. */
const addressKey = (bytes: ReadonlyArray<number>): string => {
  const mapped = bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff &&
    bytes[11] === 0xff
  return (mapped ? bytes.slice(12) : bytes).join(".")
}

const socketAddressKey = (address: string): string | undefined => {
  if (net.isIPv4(address)) return addressKey(ipv4Bytes(address))
  const bytes = net.isIPv6(address) ? ipv6Bytes(address) : undefined
  return bytes === undefined ? undefined : addressKey(bytes)
}

/** An address as /proc/net/tcp{,6} writes it: 32-bit words in hex, each in the machine's byte order. */
const procAddressKey = (hex: string): string => {
  const bytes: Array<number> = []
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = (hex.slice(word, word + 8).match(/../g) ?? []).map((pair) => parseInt(pair, 16))
    bytes.push(...(os.endianness() === "LE" ? wordBytes.reverse() : wordBytes))
  }
  return addressKey(bytes)
}

/**
 * The uid that owns the client end of a loopback connection accepted by a server:
 * a number; "unknown" when the kernel's tables exist but do not list it (it closed
 * meanwhile); undefined where there are no such tables (not Linux).
 */
export const loopbackPeerUid = (connection: ConnectionEnds): number | "unknown" | undefined => {
  const client = socketAddressKey(connection.remoteAddress ?? "")
  const server = socketAddressKey(connection.localAddress ?? "")
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
    if (client === undefined || server === undefined) continue
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
      const fields = line.trim().split(/\s+/)
      if (fields.length < 8) continue
      const [localAddress, localPort] = fields[1]!.split(":")
      const [remoteAddress, remotePort] = fields[2]!.split(":")
      if (
        parseInt(localPort ?? "", 16) === connection.remotePort &&
        parseInt(remotePort ?? "", 16) === connection.localPort &&
        procAddressKey(localAddress ?? "") === client && procAddressKey(remoteAddress ?? "") === server
      ) {
        return Number(fields[7])
      }
    }
  }
  return readable ? "unknown" : undefined
}

/**
 * Who is at the other end: "self" for a process of this user (or where the system
 * cannot tell), else the other user's uid, or "unknown" when it cannot be found.
 */
export const loopbackPeer = (connection: ConnectionEnds): "self" | number | "unknown" => {
  const uid = process.getuid?.()
  if (uid === undefined) return "self"
  const owner = loopbackPeerUid(connection)
  return owner === undefined || owner === uid ? "self" : owner
}
