import { addressBytes, mappedBytes } from "./Addresses.js"
import { libcFunctionsOnce, LINUX_NATIVE } from "./Native.js"

/**
 * One TCP socket looked up by its addresses through Linux's sock_diag netlink
 * interface (what `ss` uses): the kernel finds it directly, where reading
 * /proc/net/tcp makes it print every socket of the machine (milliseconds on a
 * busy one).
 */

const AF_NETLINK = 16
const SOCK_DGRAM = 2
const SOCK_CLOEXEC = 0o2000000
const NETLINK_SOCK_DIAG = 4
const SOCK_DIAG_BY_FAMILY = 20
const NLM_F_REQUEST = 1
const NLMSG_ERROR = 2
const AF_INET = 2
const AF_INET6 = 10
const IPPROTO_TCP = 6
const ENOENT = 2

/** struct nlmsghdr */
const HEADER = 16
/** struct inet_diag_req_v2 */
const REQUEST = 56
/** Where struct inet_diag_msg's idiag_uid and idiag_inode are, after the header. */
const UID_AT = HEADER + 64
const INODE_AT = HEADER + 68

const functions = libcFunctionsOnce(LINUX_NATIVE, {
  socket: "int socket(int, int, int)",
  send: "long send(int, void *, unsigned long, int)",
  recv: "long recv(int, void *, unsigned long, int)",
  close: "int close(int)"
})

/** An end of a TCP connection. */
export interface TcpEnd {
  readonly address: string
  readonly port: number
}

/** The socket of one end of a TCP connection: its inode (0 for one no process holds) and owner. */
export interface TcpSocket {
  readonly inode: string
  readonly uid: number
}

/**
 * struct nlmsghdr + struct inet_diag_req_v2 asking for the one TCP socket `source` →
 * `destination`, with addresses of `family`'s size (an IPv4 address as IPv4-mapped for AF_INET6).
 */
export const diagRequest = (source: TcpEnd, destination: TcpEnd, family = AF_INET): Buffer | undefined => {
  const sized = (address: string) => {
    const bytes = addressBytes(address)
    if (bytes === undefined) return undefined
    if (family === AF_INET) return bytes.length === 4 ? bytes : undefined
    return bytes.length === 4 ? mappedBytes(bytes) : bytes
  }
  const from = sized(source.address)
  const to = sized(destination.address)
  if (from === undefined || to === undefined) return undefined
  const request = Buffer.alloc(HEADER + REQUEST)
  request.writeUInt32LE(request.length, 0)
  request.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4)
  request.writeUInt16LE(NLM_F_REQUEST, 6)
  request.writeUInt32LE(1, 8)
  request.writeUInt8(family, HEADER)
  request.writeUInt8(IPPROTO_TCP, HEADER + 1)
  request.writeUInt32LE(0xffffffff, HEADER + 4) // every state
  const id = HEADER + 8 // struct inet_diag_sockid: ports and addresses in network order
  request.writeUInt16BE(source.port, id)
  request.writeUInt16BE(destination.port, id + 2)
  Buffer.from(from).copy(request, id + 4)
  Buffer.from(to).copy(request, id + 20)
  request.writeUInt32LE(0xffffffff, id + 40) // INET_DIAG_NOCOOKIE
  request.writeUInt32LE(0xffffffff, id + 44)
  return request
}

/**
 * The socket from the kernel's answer; "gone" when the kernel has no such socket, or
 * only one that no process holds (TIME_WAIT); undefined when it answered something else.
 */
export const parseDiagAnswer = (answer: Buffer, length: number): TcpSocket | "gone" | undefined => {
  if (length >= HEADER + 4 && answer.readUInt16LE(4) === NLMSG_ERROR) {
    return answer.readInt32LE(HEADER) === -ENOENT ? "gone" : undefined
  }
  if (length < INODE_AT + 4) return undefined
  const inode = answer.readUInt32LE(INODE_AT)
  return inode === 0 ? "gone" : { inode: String(inode), uid: answer.readUInt32LE(UID_AT) }
}

/** The kernel's answers, read into one buffer: a lookup runs for every connection some servers accept. */
let answers: Buffer | undefined

/** One question to the kernel. */
const ask = (source: TcpEnd, destination: TcpEnd, family: number): TcpSocket | "gone" | undefined => {
  const call = functions()
  const request = diagRequest(source, destination, family)
  if (typeof call === "string" || request === undefined) return undefined
  const fd = call.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)
  if (fd < 0) return undefined
  try {
    if (call.send(fd, request, request.length, 0) !== request.length) return undefined
    answers ??= Buffer.alloc(8192)
    const length = call.recv(fd, answers, answers.length, 0)
    return parseDiagAnswer(answers, length)
  } finally {
    call.close(fd)
  }
}

/**
 * The TCP socket whose local end is `source` and remote end `destination`; "gone" when
 * the kernel has none; undefined when it cannot be asked (no native helper, no sock_diag).
 */
export const diagTcpSocket = (source: TcpEnd, destination: TcpEnd): TcpSocket | "gone" | undefined => {
  const ipv4 = addressBytes(source.address)?.length === 4
  const found = ask(source, destination, ipv4 ? AF_INET : AF_INET6)
  // An IPv4 peer may also hold an IPv6 socket that connected to an IPv4-mapped address.
  return found === "gone" && ipv4 ? ask(source, destination, AF_INET6) : found
}
