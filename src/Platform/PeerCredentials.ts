import type * as net from "node:net"
import { libcFunctionsOnce, LINUX_NATIVE, MACOS_NATIVE, type NativeTarget } from "./Native.js"
import type { KoffiFunction, PeerCredentials } from "./Platform.js"

/**
 * The process at the other end of a unix socket, as the kernel tells it, not as
 * the client says: SO_PEERCRED on Linux (the pid and uid of the process that
 * connected), LOCAL_PEERPID and LOCAL_PEERCRED on macOS. Read once, when the
 * agent accepts the connection, through the native helper the agent already loads.
 */

const SOL_SOCKET = 1
const SO_PEERCRED = 17
/** struct ucred { pid_t pid; uid_t uid; gid_t gid; } */
const UCRED_SIZE = 12

const SOL_LOCAL = 0
const LOCAL_PEERCRED = 1
const LOCAL_PEERPID = 2
/** struct xucred { u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[16]; } */
const XUCRED_SIZE = 76

const getsockopt = (target: NativeTarget) =>
  libcFunctionsOnce(target, { getsockopt: "int getsockopt(int, int, int, void *, _Inout_ uint32_t *)" })

/** The option's bytes, or why they could not be read. */
const option = (call: KoffiFunction, fd: number, level: number, name: number, size: number): Buffer | string => {
  const value = Buffer.alloc(size)
  const length = [size]
  if (call(fd, level, name, value, length) !== 0) return `getsockopt(${level}, ${name}) failed`
  return value.subarray(0, length[0])
}

/** The descriptor under a connected node:net socket (libuv keeps it on the handle). */
const descriptorOf = (socket: net.Socket): number | undefined => {
  const fd = (socket as unknown as { readonly _handle?: { readonly fd?: unknown } })._handle?.fd
  return typeof fd === "number" && fd >= 0 ? fd : undefined
}

/** A pid of 0: the process is in another pid namespace (a container), where its pid means nothing here. */
const known = (pid: number, uid: number): PeerCredentials =>
  pid > 0 ? { pid, uid } : { reason: "the process is in another pid namespace (a container?)" }

/** Who connected, read from the socket's descriptor by `read`. */
const peerCredentialsBy = (
  functions: ReturnType<typeof getsockopt>,
  read: (call: KoffiFunction, fd: number) => PeerCredentials
) =>
(socket: net.Socket): PeerCredentials => {
  const native = functions()
  if (typeof native === "string") return { reason: native }
  const fd = descriptorOf(socket)
  return fd === undefined ? { reason: "the connection has no descriptor to ask" } : read(native.getsockopt, fd)
}

export const linuxPeerCredentials = peerCredentialsBy(getsockopt(LINUX_NATIVE), (call, fd) => {
  const ucred = option(call, fd, SOL_SOCKET, SO_PEERCRED, UCRED_SIZE)
  if (typeof ucred === "string") return { reason: ucred }
  if (ucred.length < UCRED_SIZE) return { reason: "SO_PEERCRED answered too little" }
  return known(ucred.readInt32LE(0), ucred.readUInt32LE(4))
})

export const macOsPeerCredentials = peerCredentialsBy(getsockopt(MACOS_NATIVE), (call, fd) => {
  const pid = option(call, fd, SOL_LOCAL, LOCAL_PEERPID, 4)
  if (typeof pid === "string") return { reason: pid }
  const xucred = option(call, fd, SOL_LOCAL, LOCAL_PEERCRED, XUCRED_SIZE)
  if (typeof xucred === "string") return { reason: xucred }
  if (pid.length < 4 || xucred.length < 8) return { reason: "LOCAL_PEERPID or LOCAL_PEERCRED answered too little" }
  return known(pid.readInt32LE(0), xucred.readUInt32LE(4))
})
