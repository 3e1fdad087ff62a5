import type * as net from "node:net"
import { loopbackPeerProcess } from "../Platform/LoopbackPeerProcess.js"
import { describeProcess, processStartTime } from "../Platform/ProcessInfo.js"
import type { ProcessDescription, ReportedRequester } from "../Schemas/Audit.js"

/**
 * The process behind a connection to exec's ecs endpoint, for the agent's audit
 * trail: found from the connection itself (see src/Platform/LoopbackPeerProcess.ts)
 * and described while it waits for its answer. The endpoint's token, which that
 * process may hold on its command line, is not passed on.
 */

const REDACTED = "<redacted>"

const withoutSecret = (process: ProcessDescription, secret: string): ProcessDescription => {
  const clean = (text: string | undefined) => text?.split(secret).join(REDACTED)
  return { ...process, argv: clean(process.argv), cwd: clean(process.cwd), executable: clean(process.executable) }
}

/** Processes described at most in memory, for their next connections. */
const MAX_DESCRIBED = 64

/**
 * Finds who is at the other end of each accepted loopback connection. A process that
 * connects again (an SDK that does not keep its connection) is described once.
 */
export const makeRequesterLookup = (secret: string) => {
  const described = new Map<number, { readonly started: string; readonly process: ProcessDescription }>()
  const describe = async (pid: number): Promise<ProcessDescription> => {
    const started = processStartTime(pid)
    const known = described.get(pid)
    if (started !== undefined && known?.started === started) return known.process
    const process = withoutSecret(await describeProcess(pid), secret)
    if (started !== undefined) {
      if (described.size >= MAX_DESCRIBED) described.delete(described.keys().next().value!)
      described.set(pid, { started, process })
    }
    return process
  }
  return async (socket: net.Socket): Promise<ReportedRequester> => {
    const peer = await loopbackPeerProcess(
      { address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 },
      { address: socket.localAddress ?? "", port: socket.localPort ?? 0 }
    )
    if ("reason" in peer) return { _tag: "Unknown", reason: peer.reason }
    return { _tag: "Process", process: await describe(peer.pid) }
  }
}
