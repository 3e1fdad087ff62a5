import * as net from "node:net"

/** `127.0.0.1` for `::ffff:127.0.0.1`, the address itself otherwise. */
export const plainAddress = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "")

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

/** The 4 bytes of an IPv4-mapped IPv6 address's 16, any other address's bytes as they are. */
export const unmapped = (bytes: ReadonlyArray<number>): ReadonlyArray<number> =>
  bytes.length === 16 && bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff
    ? bytes.slice(12)
    : bytes

/** An address's bytes: 4 for IPv4 (an IPv4-mapped IPv6 address included), 16 for IPv6; undefined when it is neither. */
export const addressBytes = (address: string): ReadonlyArray<number> | undefined => {
  if (net.isIPv4(address)) return ipv4Bytes(address)
  const bytes = net.isIPv6(address) ? ipv6Bytes(address) : undefined
  return bytes === undefined ? undefined : unmapped(bytes)
}

/** `bytes` (4) as an IPv4-mapped IPv6 address's 16. */
export const mappedBytes = (bytes: ReadonlyArray<number>): ReadonlyArray<number> => [
  ...Array<number>(10).fill(0),
  0xff,
  0xff,
  ...bytes
]
