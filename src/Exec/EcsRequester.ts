import type { LoopbackPeer, Platform } from "../Platform/Platform.js"
import { platform as thisPlatform } from "../Platform/ThisPlatform.js"
import type { ProcessDescription, ReportedRequester } from "../Schemas/Audit.js"

/**
 * The process behind a connection to exec's ecs endpoint, for the agent's audit
 * trail: the connection's peer as the endpoint's loopback server found it (see
 * src/Platform/LoopbackServer.ts), described while it waits for its answer. The
 * endpoint's token, which that process may hold on its command line, is not passed on.
 */

const REDACTED = "<redacted>"

const withoutSecret = (process: ProcessDescription, secret: string): ProcessDescription => {
  const clean = (text: string | undefined) => text?.split(secret).join(REDACTED)
  return { ...process, argv: clean(process.argv), cwd: clean(process.cwd), executable: clean(process.executable) }
}

/** Processes described at most in memory, for their next connections. */
const MAX_DESCRIBED = 64

/** Why the process of a peer without a pid is not known. */
const unknownReason = (peer: LoopbackPeer): string => {
  switch (peer._tag) {
    case "CannotTell":
      return `connections cannot be traced to processes here: ${peer.reason}`
    case "NotListed":
      return "the system no longer knew the connection (closed already?)"
    case "Found":
      return `no process of uid ${peer.uid} that this user can see holds the connection`
  }
}

/**
 * Describes the process at the other end of each connection. A process that connects
 * again (an SDK that does not keep its connection) is described once.
 */
export const makeRequesterLookup = (secret: string, on: Platform = thisPlatform) => {
  const described = new Map<number, { readonly started: string; readonly process: ProcessDescription }>()
  const describe = async (pid: number): Promise<ProcessDescription> => {
    const started = on.processStartTime(pid)
    const known = described.get(pid)
    if (started !== undefined && known?.started === started) return known.process
    const process = withoutSecret(await on.describeProcess(pid), secret)
    if (started !== undefined) {
      if (described.size >= MAX_DESCRIBED) described.delete(described.keys().next().value!)
      described.set(pid, { started, process })
    }
    return process
  }
  return async (peer: LoopbackPeer): Promise<ReportedRequester> =>
    peer._tag === "Found" && peer.pid !== undefined
      ? { _tag: "Process", process: await describe(peer.pid) }
      : { _tag: "Unknown", reason: unknownReason(peer) }
}
