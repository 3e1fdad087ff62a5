import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { parseLsof } from "../../src/Platform/Lsof.js"
import { makeMacOs } from "../../src/Platform/MacOs.js"
import type { KoffiLibrary } from "../../src/Platform/Platform.js"
import type { ToolResult } from "../../src/Platform/Tools.js"
import { socketPathTooLong } from "../../src/Wire/SocketPathLength.js"

// The macOS implementation of the platform seam, run on Linux: its tools (lsof, ps, id) answer
// with the recorded outputs in test/Platform/macos/. Those outputs were NOT captured on a Mac:
// they were written by hand in the formats macOS's lsof (-F: one field a line, `p` starting a
// process; the format checked against lsof 4.95 on Linux), BSD ps (-o …=) and id print, with a
// Mac's values (uid 501, /Users, /var/folders, Homebrew's paths).

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, "macos", name), "utf8")

/** Tools that answer from `answers` (keyed by the command line) and record what was run. */
const recordedTools = (answers: Record<string, ToolResult | undefined>) => {
  const calls: Array<string> = []
  const run = (file: string, args: ReadonlyArray<string>) => {
    const line = [file, ...args].join(" ")
    calls.push(line)
    return line in answers ? answers[line] : { code: 1, stdout: "" }
  }
  return {
    calls,
    tools: { run, runAsync: (file: string, args: ReadonlyArray<string>) => Promise.resolve(run(file, args)) }
  }
}

const ok = (stdout: string): ToolResult => ({ code: 0, stdout })

describe("the macOS platform (recorded tool outputs)", () => {
  it("finds the process at the client end of a loopback connection with lsof", async () => {
    const { calls, tools } = recordedTools({
      "lsof -nP -iTCP@127.0.0.1:53012 -sTCP:ESTABLISHED -Fpun": ok(fixture("lsof-tcp-ipv4.txt")),
      "lsof -nP -iTCP@[::1]:53013 -sTCP:ESTABLISHED -Fpun": ok(fixture("lsof-tcp-ipv6.txt"))
    })
    const mac = makeMacOs(tools)
    // The server's own end (pid 4410) is listed too; the client's end is the one named CLIENT->SERVER.
    expect(
      await mac.loopbackPeer({
        client: { address: "127.0.0.1", port: 53012 },
        server: { address: "127.0.0.1", port: 49321 }
      })
    ).toEqual({ _tag: "Found", uid: 501, pid: 812 })
    expect(
      await mac.loopbackPeer({
        client: { address: "::1", port: 53013 },
        server: { address: "::1", port: 49321 }
      })
    ).toEqual({ _tag: "Found", uid: 501, pid: 907 })
    expect(calls).toEqual([
      "lsof -nP -iTCP@127.0.0.1:53012 -sTCP:ESTABLISHED -Fpun",
      "lsof -nP -iTCP@[::1]:53013 -sTCP:ESTABLISHED -Fpun"
    ])
  })

  it("lists no peer when lsof shows only the server's end (another user's process, which lsof cannot see)", async () => {
    const { tools } = recordedTools({
      "lsof -nP -iTCP@127.0.0.1:53014 -sTCP:ESTABLISHED -Fpun": ok(fixture("lsof-tcp-server-end-only.txt")),
      // lsof lists nothing and exits 1 for a connection that is gone.
      "lsof -nP -iTCP@127.0.0.1:53015 -sTCP:ESTABLISHED -Fpun": { code: 1, stdout: "" }
    })
    const mac = makeMacOs(tools)
    const server = { address: "127.0.0.1", port: 49321 }
    expect(await mac.loopbackPeer({ client: { address: "::ffff:127.0.0.1", port: 53014 }, server })).toEqual({
      _tag: "NotListed"
    })
    expect(await mac.loopbackPeer({ client: { address: "127.0.0.1", port: 53015 }, server })).toEqual({
      _tag: "NotListed"
    })
  })

  it("finds a real connection's peer with this machine's lsof (the same program and -F format, on Linux)", async () => {
    const server = net.createServer()
    const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as net.AddressInfo).port
    // Another user's process (nobody), as root sees it.
    const child = spawn("setpriv", [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      process.execPath,
      "-e",
      `require("node:net").connect(${port}, "127.0.0.1", function () { console.log("connected") })`
    ], { stdio: ["ignore", "pipe", "inherit"] })
    try {
      await new Promise((resolve) => child.stdout.once("data", resolve))
      const socket = await accepted
      const peer = await makeMacOs().loopbackPeer({
        client: { address: socket.remoteAddress!, port: socket.remotePort! },
        server: { address: socket.localAddress!, port: socket.localPort! }
      })
      expect(peer).toEqual({ _tag: "Found", uid: 65534, pid: child.pid })
      socket.destroy()
    } finally {
      child.kill("SIGKILL")
      server.close()
    }
  })

  it("runs lsof for at most 4 connections at once, the others in turn (a burst of connections spawns no more)", async () => {
    const running: Array<(result: ToolResult) => void> = []
    const mac = makeMacOs({
      run: () => undefined,
      runAsync: () => new Promise((resolve) => running.push(resolve))
    })
    const server = { address: "127.0.0.1", port: 49321 }
    const peers = Array.from(
      { length: 10 },
      (_, i) => mac.loopbackPeer({ client: { address: "127.0.0.1", port: 53100 + i }, server })
    )
    await new Promise((resolve) => setImmediate(resolve))
    expect(running.length).toBe(4)
    running[0]!({ code: 1, stdout: "" })
    await new Promise((resolve) => setImmediate(resolve))
    expect(running.length).toBe(5)
    for (let answered = 1; answered < 10; answered++) {
      running[answered]!({ code: 1, stdout: "" })
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(await Promise.all(peers)).toEqual(Array(10).fill({ _tag: "NotListed" }))
  })

  it("cannot tell without lsof", async () => {
    const mac = makeMacOs({ run: () => undefined, runAsync: () => Promise.resolve(undefined) })
    expect(
      await mac.loopbackPeer({ client: { address: "127.0.0.1", port: 1 }, server: { address: "127.0.0.1", port: 2 } })
    ).toEqual({ _tag: "CannotTell", reason: "lsof did not run" })
  })

  it("reads the fields lsof -F prints, whatever others come with them", () => {
    expect(parseLsof("p17\ncbash\nu501\nf3\ntIPv4\nn127.0.0.1:1->127.0.0.1:2\nf4\nnx\np18\nu0\nfcwd\nn/\n")).toEqual([
      {
        pid: 17,
        uid: 501,
        files: [{ descriptor: "3", name: "127.0.0.1:1->127.0.0.1:2" }, { descriptor: "4", name: "x" }]
      },
      { pid: 18, uid: 0, files: [{ descriptor: "cwd", name: "/" }] }
    ])
    expect(parseLsof("")).toEqual([])
  })

  it("names the process listening on a unix socket (lsof -U, then ps for its command line)", () => {
    const { calls, tools } = recordedTools({
      "lsof -nP -U -Fpn": ok(fixture("lsof-unix.txt")),
      "ps -o command= -p 4102": ok(fixture("ps-command-4102.txt"))
    })
    const mac = makeMacOs(tools)
    expect(mac.socketListener("/Users/alice/.local/state/mairu/run/mairu-agent.sock")).toEqual({
      pid: 4102,
      command: "/opt/homebrew/bin/mairu agent --log-to-file --daemonize"
    })
    expect(mac.socketListener("/Users/alice/elsewhere.sock")).toBeUndefined()
    expect(calls).toEqual(["lsof -nP -U -Fpn", "ps -o command= -p 4102", "lsof -nP -U -Fpn"])
  })

  it("names users from /etc/passwd, else through id (macOS keeps people in its directory, not in passwd)", () => {
    const { calls, tools } = recordedTools({ "id -un 501": ok(fixture("id-un-501.txt")) })
    const mac = makeMacOs(tools)
    expect(mac.userName(501)).toBe("alice")
    expect(mac.userName(0)).toBe("root")
    // id: 4242: no such user (on stderr), exit 1.
    expect(mac.userName(4242)).toBeUndefined()
    expect(calls).toEqual(["id -un 501", "id -un 4242"])
  })

  it("counts a zombie as gone (ps prints its state Z)", () => {
    const running = recordedTools({ [`ps -o stat= -p ${process.pid}`]: ok(fixture("ps-stat-running.txt")) })
    expect(makeMacOs(running.tools).isProcessAlive(process.pid)).toBe(true)
    const zombie = recordedTools({ [`ps -o stat= -p ${process.pid}`]: ok(fixture("ps-stat-zombie.txt")) })
    expect(makeMacOs(zombie.tools).isProcessAlive(process.pid)).toBe(false)
    // A pid that no process has: signal 0 says so, and ps is not asked.
    const gone = recordedTools({})
    expect(makeMacOs(gone.tools).isProcessAlive(2 ** 22 + 1)).toBe(false)
    expect(gone.calls).toEqual([])
  })

  it("holds socket paths to 104 bytes", () => {
    const mac = makeMacOs(recordedTools({}).tools)
    expect(mac.socketPathLimit).toBe(104)
    const folder = "/var/folders/7x/k2j9fq1n3b5c8d0g4h6k2m4p0000gn/T/"
    const fits = folder + "s".repeat(104 - folder.length)
    expect(socketPathTooLong(fits, "set MAIRU_AGENT_SOCK to a shorter path", mac)).toBeUndefined()
    expect(socketPathTooLong(fits + "s", "set MAIRU_AGENT_SOCK to a shorter path", mac)).toBe(
      `${fits}s is 105 bytes long, but a socket path on macOS holds at most 104 bytes; ` +
        "set MAIRU_AGENT_SOCK to a shorter path"
    )
  })

  it("opens pages with open, has no parent-death signal for exec, and says so", () => {
    const mac = makeMacOs(recordedTools({}).tools)
    expect(mac.desktopOpener(false)).toBe("open")
    expect(mac.withParentDeathSignal(["/usr/bin/true", "x"])).toEqual(["/usr/bin/true", "x"])
    expect(mac.weaker()[0]).toBe(
      "exec: the command keeps running if mairu is killed (SIGKILL): macOS has no parent-death signal"
    )
  })

  it("hardens with libSystem's ptrace(PT_DENY_ATTACH)", () => {
    const mac = makeMacOs(recordedTools({}).tools)
    expect(mac.hardening.koffiFolders).toEqual([`darwin_${process.arch}`])
    expect(mac.hardening.libc).toEqual(["/usr/lib/libSystem.B.dylib"])
    const calls: Array<unknown> = []
    const libc: KoffiLibrary = {
      func: (signature) => (...args) => {
        calls.push([signature, ...args])
        return 0
      }
    }
    expect(mac.hardening.blockDebuggers(libc)).toBe(true)
    expect(calls).toEqual([["int ptrace(int, int, void *, int)", 31, 0, null, 0]])
  })
})
