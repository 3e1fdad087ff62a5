import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { loadNative } from "../../src/Platform/Hardening.js"
import {
  findTcpSocket,
  linuxLoopbackPeer,
  macosLoopbackPeer,
  parseLsofTcp
} from "../../src/Platform/LoopbackPeerProcess.js"
import { peerCredentials } from "../../src/Platform/PeerCredentials.js"
import type { RunProgram } from "../../src/Platform/ProcessInfo.js"
import { diagRequest, diagTcpSocket, parseDiagAnswer } from "../../src/Platform/SockDiag.js"
import { repoRoot } from "../support/mairu.js"

/** /proc/net/tcp with a listening socket on 8080 and both ends of 127.0.0.1:52000 → 127.0.0.1:8080. */
const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1111 1 0 100 0 0 10 0
   1: 0100007F:CB20 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1 0 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:CB20 01 00000000:00000000 00:00000000 00000000  1000        0 3333 1 0 20 4 30 10 -1
`
const client = { address: "127.0.0.1", port: 52000 }
const server = { address: "127.0.0.1", port: 8080 }

/** A process that connects to `port` on 127.0.0.1 and stays until its connection closes. */
const connectFromChild = (port: number) =>
  spawn(process.execPath, [
    "-e",
    `require("net").createConnection(${port}, "127.0.0.1").on("close", () => process.exit(0))`
  ], {
    stdio: "ignore"
  })

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

beforeAll(() => {
  // Under the test runner the native helper is not next to the entry script.
  loadNative([path.join(repoRoot, "dist", "koffi", `linux_${process.arch}`, "koffi.node")])
})

describe("the process at the other end of a connection", () => {
  it("is read from /proc/net/tcp: the client end's inode and owner", () => {
    expect(findTcpSocket(PROC_NET_TCP, client, server)).toEqual({ inode: "2222", uid: 1000 })
    expect(findTcpSocket(PROC_NET_TCP, server, client)).toEqual({ inode: "3333", uid: 1000 })
    expect(findTcpSocket(PROC_NET_TCP, { ...client, port: 1 }, server)).toBeUndefined()
  })

  it("is asked of the kernel by sock_diag, request and answer laid out as it expects", () => {
    const request = diagRequest(client, server)!
    expect(request.length).toBe(72)
    expect(request.readUInt16BE(24)).toBe(52000)
    expect(request.readUInt16BE(26)).toBe(8080)
    expect([...request.subarray(28, 32)]).toEqual([127, 0, 0, 1])
    expect(diagRequest({ address: "::1", port: 1 }, server)).toBeUndefined()
    const answer = Buffer.alloc(88)
    answer.writeUInt16LE(20, 4)
    answer.writeUInt32LE(1000, 80)
    answer.writeUInt32LE(4444, 84)
    expect(parseDiagAnswer(answer, 88)).toEqual({ inode: "4444", uid: 1000 })
    answer.writeUInt16LE(2, 4)
    expect(parseDiagAnswer(answer, 88)).toBeUndefined()
  })

  it("is a child process found by its socket's inode on Linux", async () => {
    const { pid, result } = await acceptOne(
      (listening) => listening.listen(0, "127.0.0.1"),
      (listening) => connectFromChild((listening.address() as net.AddressInfo).port),
      (socket) => {
        const ends = [
          { address: socket.remoteAddress!, port: socket.remotePort! },
          { address: socket.localAddress!, port: socket.localPort! }
        ] as const
        return { diag: diagTcpSocket(...ends), peer: linuxLoopbackPeer(...ends) }
      }
    )
    expect(result.diag?.uid).toBe(process.getuid!())
    expect(result.peer).toEqual({ pid })
  })

  it("is found by lsof on macOS", async () => {
    const lsof = `p3000
f30
n127.0.0.1:8080->127.0.0.1:52000
p2101
f23
n127.0.0.1:52000->127.0.0.1:8080
`
    expect(parseLsofTcp(lsof, client, server)).toBe(2101)
    const run: RunProgram = (file, args) =>
      Promise.resolve(file === "/usr/sbin/lsof" && args.includes("-iTCP:52000") ? lsof : undefined)
    expect(await macosLoopbackPeer(client, server, run)).toEqual({ pid: 2101 })
    expect(await macosLoopbackPeer({ ...client, port: 1 }, server, run)).toEqual({
      reason: "lsof could not list the connection"
    })
  })

  it("of a unix socket is told by the kernel (SO_PEERCRED)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-peer-"))
    const socketPath = path.join(dir, "peer.sock")
    const { pid, result } = await acceptOne(
      (listening) => listening.listen(socketPath),
      () =>
        spawn(process.execPath, [
          "-e",
          `require("net").createConnection(${JSON.stringify(socketPath)}).on("close", () => process.exit(0))`
        ], { stdio: "ignore" }),
      peerCredentials
    )
    expect(result).toEqual({ pid, uid: process.getuid!() })
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
