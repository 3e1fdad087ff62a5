import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { linux } from "../../src/Platform/Linux.js"
import { findTcpSocket } from "../../src/Platform/LinuxSockets.js"
import { LINUX_NATIVE, loadNative } from "../../src/Platform/Native.js"
import type { LoopbackConnection } from "../../src/Platform/Platform.js"
import { diagRequest, diagTcpSocket, parseDiagAnswer } from "../../src/Platform/SockDiag.js"
import { repoRoot } from "../support/mairu.js"

// Who is at the other end of a socket on Linux, asked of the kernel through the native helper
// (sock_diag, SO_PEERCRED). Linux.test.ts runs the same lookups without it, through /proc/net/tcp.

/** /proc/net/tcp with a listening socket on 8080, both ends of 127.0.0.1:52000 → 127.0.0.1:8080, and one in TIME_WAIT. */
const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1111 1 0 100 0 0 10 0
   1: 0100007F:CB20 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1 0 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:CB20 01 00000000:00000000 00:00000000 00000000  1000        0 3333 1 0 20 4 30 10 -1
   3: 0100007F:CB21 0100007F:1F90 06 00000000:00000000 03:00000B2D 00000000     0        0 0 3 0000000000000000
`
/** /proc/net/tcp6 with [::1]:52002 → [::1]:8080 and an IPv4-mapped ::ffff:127.0.0.1:52003 → ::ffff:127.0.0.1:8080. */
const PROC_NET_TCP6 =
  `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:CB22 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4444 1 0 20 4 30 10 -1
   1: 0000000000000000FFFF00000100007F:CB23 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 5555 1 0 20 4 30 10 -1
`
const client = { address: "127.0.0.1", port: 52000 }
const server = { address: "127.0.0.1", port: 8080 }

/** Serves on `listen` until one connection comes, and runs `inspect` on it while it is open. */
const acceptOne = <A>(
  listen: (server: net.Server) => void,
  connect: (server: net.Server) => { readonly pid?: number | undefined },
  inspect: (socket: net.Socket) => A | Promise<A>
) =>
  new Promise<{ readonly result: A; readonly pid: number }>((resolve, reject) => {
    let pid = 0
    const listening = net.createServer((socket) => {
      void Promise.resolve(inspect(socket)).then((result) => {
        socket.destroy()
        listening.close()
        resolve({ result, pid })
      }, reject)
    })
    listening.once("listening", () => (pid = connect(listening).pid!))
    listen(listening)
  })

/** A process that connects to `port` on `host` and stays until its connection closes. */
const connectFromChild = (host: string) => (listening: net.Server) =>
  spawn(process.execPath, [
    "-e",
    `require("net").createConnection(${(listening.address() as net.AddressInfo).port}, ${
      JSON.stringify(host)
    }).on("close", () => process.exit(0))`
  ], { stdio: "ignore" })

const connectionOf = (socket: net.Socket): LoopbackConnection => ({
  client: { address: socket.remoteAddress!, port: socket.remotePort! },
  server: { address: socket.localAddress!, port: socket.localPort! }
})

beforeAll(() => {
  // Under the test runner the native helper is not next to the entry script.
  const loaded = loadNative(LINUX_NATIVE, [path.join(repoRoot, "dist", "koffi", `linux_${process.arch}`, "koffi.node")])
  expect(typeof loaded).not.toBe("string")
})

describe("the socket at the client end of a loopback connection", () => {
  it("is read from /proc/net/tcp{,6}: the inode and owner of the end a process holds, IPv4, IPv6 or mapped", () => {
    expect(findTcpSocket(PROC_NET_TCP, client, server)).toEqual({ inode: "2222", uid: 1000 })
    expect(findTcpSocket(PROC_NET_TCP, server, client)).toEqual({ inode: "3333", uid: 1000 })
    expect(findTcpSocket(PROC_NET_TCP, { ...client, port: 1 }, server)).toBeUndefined()
    // TIME_WAIT: no process holds it (inode 0, uid 0).
    expect(findTcpSocket(PROC_NET_TCP, { ...client, port: 52001 }, server)).toBeUndefined()
    expect(findTcpSocket(PROC_NET_TCP6, { address: "::1", port: 52002 }, { address: "::1", port: 8080 })).toEqual({
      inode: "4444",
      uid: 1000
    })
    for (const address of ["127.0.0.1", "::ffff:127.0.0.1"]) {
      expect(findTcpSocket(PROC_NET_TCP6, { address, port: 52003 }, { address, port: 8080 })).toEqual({
        inode: "5555",
        uid: 1001
      })
    }
  })

  it("is asked of the kernel by sock_diag, request and answer laid out as it expects", () => {
    const request = diagRequest(client, server)!
    expect(request.length).toBe(72)
    expect(request.readUInt8(16)).toBe(2) // AF_INET
    expect(request.readUInt16BE(24)).toBe(52000)
    expect(request.readUInt16BE(26)).toBe(8080)
    expect([...request.subarray(28, 32)]).toEqual([127, 0, 0, 1])
    expect(diagRequest({ address: "::1", port: 1 }, server)).toBeUndefined()
    const ipv6 = diagRequest({ address: "::1", port: 52002 }, { address: "::1", port: 8080 }, 10)!
    expect(ipv6.readUInt8(16)).toBe(10) // AF_INET6
    expect([...ipv6.subarray(28, 44)]).toEqual([...Array<number>(15).fill(0), 1])
    const answer = Buffer.alloc(88)
    answer.writeUInt16LE(20, 4)
    answer.writeUInt32LE(1000, 80)
    answer.writeUInt32LE(4444, 84)
    expect(parseDiagAnswer(answer, 88)).toEqual({ inode: "4444", uid: 1000 })
    answer.writeUInt32LE(0, 84)
    expect(parseDiagAnswer(answer, 88)).toBe("gone")
    answer.writeUInt16LE(2, 4) // NLMSG_ERROR
    answer.writeInt32LE(-2, 16) // ENOENT
    expect(parseDiagAnswer(answer, 88)).toBe("gone")
    answer.writeInt32LE(-1, 16) // EPERM: the kernel would not tell
    expect(parseDiagAnswer(answer, 88)).toBeUndefined()
  })

  for (const host of ["127.0.0.1", "::1"]) {
    it(`names a child's process by its socket's inode, among this process's descendants first (${host})`, async () => {
      const { pid, result } = await acceptOne(
        (listening) => listening.listen(0, host),
        connectFromChild(host),
        async (socket) => {
          const connection = connectionOf(socket)
          return {
            diag: diagTcpSocket(connection.client, connection.server),
            peer: await linux.loopbackPeer(connection, { pid: { descendantsOf: process.pid } }),
            userOnly: await linux.loopbackPeer(connection)
          }
        }
      )
      expect(result.diag).toMatchObject({ uid: process.getuid!() })
      expect(result.peer).toEqual({ _tag: "Found", uid: process.getuid!(), pid })
      expect(result.userOnly).toEqual({ _tag: "Found", uid: process.getuid!(), pid: undefined })
    })
  }

  it("names each of two processes that connect in turns, though the one found last is looked at first", async () => {
    const listening = net.createServer()
    await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve))
    const accepted: Array<net.Socket> = []
    const arrived = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () =>
          accepted.length >= count ? resolve() : listening.once("connection", () => setImmediate(check))
        check()
      })
    listening.on("connection", (socket) => accepted.push(socket))
    const first = connectFromChild("127.0.0.1")(listening)
    await arrived(1)
    const second = connectFromChild("127.0.0.1")(listening)
    await arrived(2)
    const [fromFirst, fromSecond] = accepted.map((socket) => connectionOf(socket))
    const query = { pid: { descendantsOf: process.pid } }
    const named = [
      await linux.loopbackPeer(fromFirst!, query),
      await linux.loopbackPeer(fromSecond!, query),
      await linux.loopbackPeer(fromFirst!, query)
    ]
    for (const socket of accepted) socket.destroy()
    listening.close()
    expect(named.map((peer) => peer._tag === "Found" ? peer.pid : peer._tag)).toEqual([
      first.pid,
      second.pid,
      first.pid
    ])
  })

  it("is gone, as the kernel says, once the client has closed it", async () => {
    const { result } = await acceptOne(
      (listening) => listening.listen(0, "127.0.0.1"),
      (listening) => {
        const socket = net.connect((listening.address() as net.AddressInfo).port, "127.0.0.1")
        socket.on("connect", () => socket.destroy())
        return {}
      },
      async (socket) => {
        const connection = connectionOf(socket)
        await new Promise((resolve) => socket.once("close", resolve))
        return {
          diag: diagTcpSocket(connection.client, connection.server),
          peer: await linux.loopbackPeer(connection, { pid: true })
        }
      }
    )
    expect(result).toEqual({ diag: "gone", peer: { _tag: "NotListed" } })
  })
})

describe("the process at the other end of a unix socket", () => {
  it("is told by the kernel (SO_PEERCRED)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-peer-"))
    const socketPath = path.join(dir, "peer.sock")
    const { pid, result } = await acceptOne(
      (listening) => listening.listen(socketPath),
      () =>
        spawn(process.execPath, [
          "-e",
          `require("net").createConnection(${JSON.stringify(socketPath)}).on("close", () => process.exit(0))`
        ], { stdio: "ignore" }),
      (socket) => linux.peerCredentials(socket)
    )
    expect(result).toEqual({ pid, uid: process.getuid!() })
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
