import * as net from "node:net"
import type { KoffiLibrary, LoopbackConnection, LoopbackPeer, Platform, SocketListener } from "./Platform.js"
import { type RunTool, runTool, type RunToolAsync, runToolAsync } from "./Tools.js"
import { canRun, plainAddress, signalReaches, userNameOf } from "./Unix.js"

// macOS has no /proc: lsof says who holds a socket and ps how a process is; ptrace(PT_DENY_ATTACH)
// keeps debuggers out; nothing passes a parent's death on to its child.

/** One process of `lsof -F` output: its fields, and the names (`n`) of the files listed for it. */
interface LsofProcess {
  readonly pid: number
  readonly uid: number | undefined
  readonly names: ReadonlyArray<string>
}

/** Reads `lsof -F…` output: one field a line, its letter first; a `p` line starts a process. */
export const parseLsof = (output: string): ReadonlyArray<LsofProcess> => {
  const processes: Array<{ pid: number; uid: number | undefined; names: Array<string> }> = []
  for (const line of output.split("\n")) {
    const value = line.slice(1)
    const current = processes[processes.length - 1]
    if (line.startsWith("p")) processes.push({ pid: Number(value), uid: undefined, names: [] })
    else if (line.startsWith("u") && current !== undefined) current.uid = Number(value)
    else if (line.startsWith("n") && current !== undefined) current.names.push(value)
  }
  return processes.filter((p) => Number.isInteger(p.pid) && p.pid > 0)
}

/** `127.0.0.1:52000` or `[::1]:52000`, as lsof -n -P writes an end of a TCP connection. */
const lsofEnd = (end: { readonly address: string; readonly port: number }) => {
  const address = plainAddress(end.address)
  return `${net.isIPv6(address) ? `[${address}]` : address}:${end.port}`
}

const LSOF = "lsof"
const LSOF_FILE = "/usr/sbin/lsof"

export const makeMacOs = (tools: { readonly run: RunTool; readonly runAsync: RunToolAsync } = {
  run: runTool,
  runAsync: runToolAsync
}): Platform => {
  /** lsof lists the client's end as `CLIENT->SERVER` under the process holding it (only this user's, unless root). */
  const loopbackPeer = async (connection: LoopbackConnection): Promise<LoopbackPeer> => {
    const client = lsofEnd(connection.client)
    const result = await tools.runAsync(LSOF, ["-nP", `-iTCP@${client}`, "-sTCP:ESTABLISHED", "-Fpun"])
    // lsof exits 1 when it lists nothing.
    if (result === undefined) return { _tag: "CannotTell", reason: "lsof did not run" }
    const wanted = `${client}->${lsofEnd(connection.server)}`
    for (const found of parseLsof(result.stdout)) {
      if (found.uid !== undefined && found.names.includes(wanted)) {
        return { _tag: "Found", uid: found.uid, pid: found.pid }
      }
    }
    return { _tag: "NotListed" }
  }

  const commandOf = (pid: number): string => {
    const result = tools.run("ps", ["-o", "command=", "-p", String(pid)])
    return result?.code === 0 ? result.stdout.trim() : ""
  }

  /** The listener's file, and those of the connections it accepted, are named by the socket's path. */
  const socketListener = (socketPath: string): SocketListener | undefined => {
    const result = tools.run(LSOF, ["-nP", "-U", "-Fpn"])
    if (result === undefined) return undefined
    const found = parseLsof(result.stdout).find((p) => p.pid !== process.pid && p.names.includes(socketPath))
    return found === undefined ? undefined : { pid: found.pid, command: commandOf(found.pid) }
  }

  /** ps prints a zombie's state as `Z`; a process that is gone, nothing (exit 1). */
  const isProcessAlive = (pid: number): boolean => {
    if (!signalReaches(pid)) return false
    const result = tools.run("ps", ["-o", "stat=", "-p", String(pid)])
    if (result === undefined) return true // no ps: the signal test has to do
    return result.code === 0 && !result.stdout.trim().startsWith("Z")
  }

  const PT_DENY_ATTACH = 31

  return {
    name: "macOS",
    socketPathLimit: 104,
    loopbackPeer,
    socketListener,
    userName: (uid) => userNameOf(uid, tools.run),
    isProcessAlive,
    desktopOpener: () => "open",
    withParentDeathSignal: (argv) => argv,
    hardening: {
      koffiFolders: [`darwin_${process.arch}`],
      libc: ["/usr/lib/libSystem.B.dylib"],
      debuggerCall: "ptrace(PT_DENY_ATTACH)",
      blockDebuggers: (libc: KoffiLibrary) =>
        libc.func("int ptrace(int, int, void *, int)")(PT_DENY_ATTACH, 0, null, 0) === 0
    },
    weaker: () => [
      "exec: the command keeps running if mairu is killed (SIGKILL): macOS has no parent-death signal",
      ...(canRun(LSOF_FILE) ? [] : [
        `the login callback and the console's one-time link cannot tell which user opened them (${LSOF_FILE} ` +
        "is missing), so they let any local user's request through"
      ])
    ]
  }
}

export const macOs: Platform = makeMacOs()
