import { libcFunctions } from "./Hardening.js"
import type { KoffiFunction } from "./Platform.js"

/**
 * One TCP socket looked up by its addresses through Linux's sock_diag netlink
 * interface (what `ss` uses): the kernel finds it directly, where reading
 * /proc/net/tcp makes it print every socket of the machine (milliseconds on a
 * busy one). IPv4 only; undefined when the native helper or the kernel cannot tell.
 */

const AF_NETLINK = 16
const SOCK_DGRAM = 2
const SOCK_CLOEXEC = 0o2000000
const NETLINK_SOCK_DIAG = 4
const SOCK_DIAG_BY_FAMILY = 20
const NLM_F_REQUEST = 1
const NLMSG_ERROR = 2
const AF_INET = 2
const IPPROTO_TCP = 6

/** struct nlmsghdr */
const HEADER = 16
/** struct inet_diag_req_v2 */
const REQUEST = 56
/** Where struct inet_diag_msg's idiag_uid and idiag_inode are, after the header. */
const UID_AT = HEADER + 64
const INODE_AT = HEADER + 68

const SIGNATURES = {
  socket: "int socket(int, int, int)",
  send: "long send(int, void *, unsigned long, int)",
  recv: "long recv(int, void *, unsigned long, int)",
  close: "int close(int)"
}

let native: Readonly<Record<keyof typeof SIGNATURES, KoffiFunction>> | string | undefined

const ipv4 = (address: string): Buffer | undefined => {
  const parts = address.replace(/^::ffff:/i, "").split(".").map(Number)
  return parts.length === 4 && parts.every((part) => Number.isInteger(part) && part >= 0 && part < 256)
    ? Buffer.from(parts)
    : undefined
}

/** struct nlmsghdr + struct inet_diag_req_v2 asking for the one TCP socket `source` → `destination`. */
export const diagRequest = (
  source: { readonly address: string; readonly port: number },
  destination: { readonly address: string; readonly port: number }
): Buffer | undefined => {
  const from = ipv4(source.address)
  const to = ipv4(destination.address)
  if (from === undefined || to === undefined) return undefined
  const request = Buffer.alloc(HEADER + REQUEST)
  request.writeUInt32LE(request.length, 0)
  request.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4)
  request.writeUInt16LE(NLM_F_REQUEST, 6)
  request.writeUInt32LE(1, 8)
  request.writeUInt8(AF_INET, HEADER)
  request.writeUInt8(IPPROTO_TCP, HEADER + 1)
  request.writeUInt32LE(0xffffffff, HEADER + 4) // every state
  const id = HEADER + 8 // struct inet_diag_sockid: ports and addresses in network order
  request.writeUInt16BE(source.port, id)
  request.writeUInt16BE(destination.port, id + 2)
  from.copy(request, id + 4)
  to.copy(request, id + 20)
  request.writeUInt32LE(0xffffffff, id + 40) // INET_DIAG_NOCOOKIE
  request.writeUInt32LE(0xffffffff, id + 44)
  return request
}

/** The socket's inode and owner from the kernel's answer, when it found one. */
export const parseDiagAnswer = (
  answer: Buffer,
  length: number
): { readonly inode: string; readonly uid: number } | undefined => {
  if (length < INODE_AT + 4 || answer.readUInt16LE(4) === NLMSG_ERROR) return undefined
  const inode = answer.readUInt32LE(INODE_AT)
  return inode === 0 ? undefined : { inode: String(inode), uid: answer.readUInt32LE(UID_AT) }
}

/** The inode and owner of the TCP socket whose local end is `source` and remote end `destination`. */
export const diagTcpSocket = (
  source: { readonly address: string; readonly port: number },
  destination: { readonly address: string; readonly port: number }
): { readonly inode: string; readonly uid: number } | undefined => {
  if (process.platform !== "linux") return undefined
  native ??= libcFunctions(SIGNATURES)
  const call = native
  const request = diagRequest(source, destination)
  if (typeof call === "string" || request === undefined) return undefined
  const fd = call.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)
  if (fd < 0) return undefined
  try {
    if (call.send(fd, request, request.length, 0) !== request.length) return undefined
    const answer = Buffer.alloc(8192)
    const length = call.recv(fd, answer, answer.length, 0)
    return parseDiagAnswer(answer, length)
  } finally {
    call.close(fd)
  }
}
