import * as net from "node:net"
import { plainAddress } from "./Addresses.js"
import { fileNames, parseLsof } from "./Lsof.js"
import { describeMacOsProcess, macOsCommandName } from "./MacOsProcesses.js"
import { MACOS_NATIVE } from "./Native.js"
import { macOsPeerCredentials } from "./PeerCredentials.js"
import type { KoffiLibrary, LoopbackConnection, LoopbackPeer, Platform, SocketListener } from "./Platform.js"
import { type RunTool, runTool, type RunToolAsync, runToolAsync } from "./Tools.js"
import { canRun, signalReaches, userNameOf } from "./Unix.js"

// macOS has no /proc: lsof says who holds a socket and ps how a process is; ptrace(PT_DENY_ATTACH)
// keeps debuggers out; nothing passes a parent's death on to its child.

/** `127.0.0.1:52000` or `[::1]:52000`, as lsof -n -P writes an end of a TCP connection. */
const lsofEnd = (end: { readonly address: string; readonly port: number }) => {
  const address = plainAddress(end.address)
  return `${net.isIPv6(address) ? `[${address}]` : address}:${end.port}`
}

const LSOF = "lsof"
const LSOF_FILE = "/usr/sbin/lsof"

/** lsof runs at most this many at once for loopback peers; a burst of connections waits its turn. */
const MAX_LSOF_AT_ONCE = 4

/** Runs at most `limit` tasks at once, the others in turn as those end. */
const limited = (limit: number) => {
  let running = 0
  const waiting: Array<() => void> = []
  return async <A>(task: () => Promise<A>): Promise<A> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    else running++
    try {
      return await task()
    } finally {
      const next = waiting.shift()
      if (next === undefined) running--
      else next()
    }
  }
}

export const makeMacOs = (tools: { readonly run: RunTool; readonly runAsync: RunToolAsync } = {
  run: runTool,
  runAsync: runToolAsync
}): Platform => {
  const inTurn = limited(MAX_LSOF_AT_ONCE)

  /**
   * lsof lists the client's end as `CLIENT->SERVER` under the process holding it, with
   * its pid and uid (only this user's processes, unless mairu runs as root).
   */
  const loopbackPeer = async (connection: LoopbackConnection): Promise<LoopbackPeer> => {
    const client = lsofEnd(connection.client)
    const result = await inTurn(() => tools.runAsync(LSOF, ["-nP", `-iTCP@${client}`, "-sTCP:ESTABLISHED", "-Fpun"]))
    // lsof exits 1 when it lists nothing.
    if (result === undefined) return { _tag: "CannotTell", reason: "lsof did not run" }
    const wanted = `${client}->${lsofEnd(connection.server)}`
    for (const found of parseLsof(result.stdout)) {
      if (found.uid !== undefined && fileNames(found).includes(wanted)) {
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
    const found = parseLsof(result.stdout).find((p) => p.pid !== process.pid && fileNames(p).includes(socketPath))
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
    peerCredentials: macOsPeerCredentials,
    describeProcess: (pid) => describeMacOsProcess(pid, tools.runAsync),
    commandName: (pid) => macOsCommandName(pid, tools.runAsync),
    // ps gives the start time only to the second: a pid taken again within it would pass for the same process.
    processStartTime: () => undefined,
    socketListener,
    userName: (uid) => userNameOf(uid, tools.run),
    isProcessAlive,
    desktopOpener: () => "open",
    withParentDeathSignal: (argv) => argv,
    hardening: {
      ...MACOS_NATIVE,
      debuggerCall: "ptrace(PT_DENY_ATTACH)",
      blockDebuggers: (libc: KoffiLibrary) =>
        libc.func("int ptrace(int, int, void *, int)")(PT_DENY_ATTACH, 0, null, 0) === 0
    },
    weaker: () => [
      "exec: the command keeps running if mairu is killed (SIGKILL): macOS has no parent-death signal",
      ...(canRun(LSOF_FILE) ? [] : [
        `the login callback and the console's one-time link cannot tell which user opened them (${LSOF_FILE} ` +
        "is missing), so they let any local user's request through, and no loopback server of mairu caps " +
        "other users' connections"
      ])
    ]
  }
}

export const macOs: Platform = makeMacOs()
