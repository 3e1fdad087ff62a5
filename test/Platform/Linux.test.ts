import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { linux } from "../../src/Platform/Linux.js"
import type { LoopbackConnection } from "../../src/Platform/Platform.js"
import { platform } from "../../src/Platform/ThisPlatform.js"

// The Linux implementation of the platform seam, against this machine's /proc, passwd and id.
// The native helper is not loaded here (it is not next to the test runner's entry), so loopback
// peers are found through /proc/net/tcp{,6}; SocketPeers.test.ts finds them through sock_diag.

const NOBODY = 65534
const asNobody = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"]

const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

/** A child that prints a line when ready and runs until killed. */
const startChild = async (argv: ReadonlyArray<string>) => {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] })
  cleanups.push(() => child.kill("SIGKILL"))
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (data: Buffer) => resolve(data.toString().trim()))
    child.once("exit", (code) => reject(new Error(`the child exited (${code})`)))
  })
  return { child, line }
}

/** A TCP server on `host` and the connection it accepts from `connectFrom`, as the server sees it. */
const acceptOne = async (host: string, connectFrom: (port: number) => Promise<unknown>) => {
  const server = net.createServer()
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve))
  cleanups.push(() => server.close())
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  await connectFrom((server.address() as net.AddressInfo).port)
  const socket = await accepted
  cleanups.push(() => socket.destroy())
  const connection: LoopbackConnection = {
    client: { address: socket.remoteAddress!, port: socket.remotePort! },
    server: { address: socket.localAddress!, port: socket.localPort! }
  }
  return { socket, connection }
}

describe("the Linux platform", () => {
  it("is the one chosen here", () => {
    expect(platform).toBe(linux)
    expect(linux.name).toBe("Linux")
  })

  it("tells a running process from one that is gone, and counts an unreaped (zombie) one as gone", async () => {
    // The short sleep ends once its parent has become the long one, which never reaps it.
    const parent = spawn("/bin/sh", ["-c", "sleep 0.2 & echo $!; exec sleep 5"], {
      stdio: ["ignore", "pipe", "ignore"]
    })
    const zombie = Number(
      await new Promise<string>((resolve) => parent.stdout.once("data", (d: Buffer) => resolve(d.toString())))
    )
    try {
      let state = ""
      for (let i = 0; i < 100 && state !== "Z"; i++) {
        await new Promise((r) => setTimeout(r, 20))
        state = fs.readFileSync(`/proc/${zombie}/stat`, "utf8").replace(/^.*\) /s, "")[0]!
      }
      expect(state).toBe("Z")
      expect(linux.isProcessAlive(zombie)).toBe(false)
      expect(linux.isProcessAlive(parent.pid!)).toBe(true)
      expect(linux.isProcessAlive(process.pid)).toBe(true)
    } finally {
      parent.kill()
    }
    await new Promise((r) => parent.once("exit", r))
    expect(linux.isProcessAlive(parent.pid!)).toBe(false)
  })

  it("names the user and the process at the other end of a loopback connection, over IPv4 and IPv6", async () => {
    const client = (host: string) => (port: number) =>
      startChild([
        ...asNobody,
        process.execPath,
        "-e",
        `require("node:net").connect(${port}, ${JSON.stringify(host)}, function () { console.log("connected") })`
      ])
    for (const host of ["127.0.0.1", "::1"]) {
      let child: Awaited<ReturnType<typeof startChild>> | undefined
      const { connection } = await acceptOne(host, async (port) => (child = await client(host)(port)))
      expect(await linux.loopbackPeer(connection, { pid: true })).toEqual({
        _tag: "Found",
        uid: NOBODY,
        pid: child!.child.pid
      })
      // Not asked for, the process is not looked for.
      expect(await linux.loopbackPeer(connection)).toEqual({ _tag: "Found", uid: NOBODY, pid: undefined })
    }
    // A client of this process, through an IPv4-mapped address.
    const own = await acceptOne("::", (port) =>
      new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => resolve(socket))
        cleanups.push(() => socket.destroy())
      }))
    expect(own.connection.client.address).toBe("::ffff:127.0.0.1")
    expect(await linux.loopbackPeer(own.connection, { pid: { descendantsOf: process.pid } })).toEqual({
      _tag: "Found",
      uid: process.getuid!(),
      pid: process.pid
    })
  })

  it("lists no peer for a connection that is gone", async () => {
    let client: net.Socket | undefined
    const { socket, connection } = await acceptOne("127.0.0.1", (port) =>
      new Promise((resolve) => {
        client = net.connect(port, "127.0.0.1", () => resolve(client))
      }))
    const ended = new Promise((resolve) => socket.once("end", resolve))
    client!.destroy()
    await ended
    expect(await linux.loopbackPeer(connection, { pid: true })).toEqual({ _tag: "NotListed" })
  })

  it("names the process listening on a unix socket", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-platform-"))
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const socketPath = path.join(dir, "listener.sock")
    const { child } = await startChild([
      process.execPath,
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(socketPath)}, () => console.log("ready"))`
    ])
    const listener = linux.socketListener(socketPath)
    expect(listener?.pid).toBe(child.pid)
    expect(listener?.command).toContain(process.execPath)
    expect(linux.socketListener(path.join(dir, "nothing.sock"))).toBeUndefined()
  })

  it("names users from /etc/passwd, else through id", () => {
    expect(linux.userName(0)).toBe("root")
    expect(linux.userName(NOBODY)).toBe("nobody")
    // No such user: neither passwd nor id knows it.
    expect(linux.userName(4242424)).toBeUndefined()
  })

  it("binds and connects a socket whose path has exactly the limit's length", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-platform-"))
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const socketPath = path.join(dir, "s".repeat(linux.socketPathLimit - dir.length - 1))
    expect(Buffer.byteLength(socketPath)).toBe(108)
    const server = net.createServer((socket) => socket.end("hello"))
    cleanups.push(() => server.close())
    await new Promise<void>((resolve) => server.listen(socketPath, resolve))
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true)
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(socketPath)
      let text = ""
      socket.on("data", (data) => (text += data.toString()))
      socket.on("end", () => resolve(text))
      socket.on("error", reject)
    })
    expect(answer).toBe("hello")
  })

  it("passes a parent's death on through setpriv, and opens pages with xdg-open on a desktop", () => {
    expect(linux.withParentDeathSignal(["/bin/true", "x"])).toEqual([
      "/usr/bin/setpriv",
      "--pdeathsig",
      "TERM",
      "--",
      "/bin/true",
      "x"
    ])
    expect(linux.weaker()).toEqual([])
    expect(linux.desktopOpener(true)).toBe("xdg-open")
    expect(linux.desktopOpener(false)).toBeUndefined()
  })
})
