import * as fs from "node:fs"
import type * as net from "node:net"
import { resolvePaths } from "../Files/XdgPaths.js"
import { disableSigusr1Flags } from "../Platform/Inspector.js"
import { IS_SEA } from "../Sea.js"
import { userMessages } from "../Terminal/Messages.js"
import { aborted, agentUnavailable, type AgentUnavailableFailure, connect } from "../Wire/AgentWire.js"
import { ownerMarkerPath } from "../Wire/OwnerMarker.js"
import { agentEnvironment } from "./AgentEnvironment.js"
import { AGENT_START_FLAGS, AGENT_V8_FLAGS } from "./AgentFlags.js"

// Starting an agent, detached, when none answers on its socket, and the command line it starts with.

const START_TIMEOUT_MS = 20_000
const POLL_MS = 50
const AFTER_EXIT_MS = 100

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * The agent's command line: its flags (see AgentFlags.ts), and `--disable-sigusr1` where Node
 * has it, so that nothing can open its inspector (see Platform/Inspector.ts). The single
 * executable is started as itself: it has no script path and reads no Node.js options from its
 * arguments, so its agent takes AGENT_START_FLAGS from NODE_OPTIONS, sets AGENT_V8_FLAGS as it
 * starts (see main.ts) and ignores SIGUSR1 as every agent does.
 */
export const agentCommand = (): Array<string> => [
  process.execPath,
  ...(IS_SEA
    ? []
    : [
      ...AGENT_V8_FLAGS,
      ...AGENT_START_FLAGS,
      ...disableSigusr1Flags(),
      ...(process.argv[1] === undefined ? [] : [process.argv[1]])
    ]),
  "agent",
  "--foreground",
  "--log-to-file"
]

/**
 * The Node options of the single executable's agent, which takes none from its command line:
 * AGENT_START_FLAGS, and `--disable-sigusr1` where Node has it, through NODE_OPTIONS (the user's
 * own never reaches the agent).
 */
const seaAgentNodeOptions = (): NodeJS.ProcessEnv =>
  IS_SEA ? { NODE_OPTIONS: [...AGENT_START_FLAGS, ...disableSigusr1Flags()].join(" ") } : {}

/**
 * Starts the agent detached from this process, logging to its file. It starts
 * through `ulimit -c 0` so that a crash never writes its memory (and secrets) to
 * a core file. It runs with the flags that keep its memory low (see AgentFlags.ts),
 * and gets only the variables it uses (never the user's NODE_OPTIONS), see AgentEnvironment.
 * Resolves with the exit code if it ends.
 */
export const spawnAgent = async (env: Readonly<Record<string, string | undefined>>): Promise<number | null> => {
  // Loaded only here: the fast paths that merely talk to a running agent never need it. A require,
  // not an import(): the fast paths' bundle runs as a script (see FastPath/CodeCache.ts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require("node:child_process") as typeof import("node:child_process")
  const command = agentCommand()
  const child = spawn("/bin/sh", ["-c", "ulimit -c 0; exec \"$@\"", "mairu-agent", ...command], {
    detached: true,
    stdio: "ignore",
    env: { ...agentEnvironment(env), ...seaAgentNodeOptions() }
  })
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code))
    child.once("error", () => resolve(null))
  })
  child.unref()
  return await exited
}

/** Starts an agent and waits until it answers: 20 s at most, less if it exits at once. */
export const startAgent = async (
  socketPath: string,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal
): Promise<net.Socket | AgentUnavailableFailure> => {
  let exitedAt: number | undefined
  let exitCode: number | null = null
  void spawnAgent(env).then((code) => {
    exitCode = code
    exitedAt = Date.now()
  })
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!aborted(signal)) {
    const connection = await connect(socketPath)
    if (connection._tag === "Connected") {
      if (!aborted(signal)) return connection.socket
      connection.socket.destroy()
      break
    }
    if (connection._tag === "Untrusted") return agentUnavailable(`refusing the agent socket: ${connection.message}`)
    // An agent that exits at once may have lost a race to another one that now answers.
    if (exitedAt !== undefined && Date.now() - exitedAt >= AFTER_EXIT_MS) {
      return agentUnavailable(
        `the agent exited as it started (exit code ${exitCode}); run mairu agent --foreground to see why`
      )
    }
    if (Date.now() >= deadline) {
      return agentUnavailable(
        `started an agent but it did not answer at ${socketPath} within 20 s; run mairu agent --foreground to see why`
      )
    }
    await sleep(POLL_MS)
  }
  return agentUnavailable("interrupted while starting the agent")
}

/**
 * Who left the dead socket at `socketPath`. "foreign": not a mairu agent of this
 * machine, most likely a forwarded socket (ssh -R, a container's volume) whose
 * connection ended; starting a local agent there would quietly replace the user's
 * agent with one of this machine, so the client refuses instead. A forwarded socket
 * goes where MAIRU_AGENT_SOCK points (see docs/agent.md), so a dead socket at the
 * default place is an agent's of this machine even without an owner marker (the
 * original Rust Mairu's leaves none): "default place", taken over.
 */
const deadSocketOwner = (
  socketPath: string,
  env: Readonly<Record<string, string | undefined>>
): "none" | "ours" | "default place" | "foreign" => {
  const stat = fs.lstatSync(socketPath, { throwIfNoEntry: false })
  if (stat === undefined || !stat.isSocket()) return "none"
  try {
    if (fs.readFileSync(ownerMarkerPath(socketPath), "utf8").trim() === String(stat.ino)) return "ours"
  } catch {
    // no marker
  }
  const atDefaultPlace = (env.MAIRU_AGENT_SOCK ?? "") === "" && resolvePaths(env).socketPath === socketPath
  return atDefaultPlace ? "default place" : "foreign"
}

/**
 * A connection to the running agent, starting one unless `MAIRU_NO_AUTO_AGENT`
 * forbids it or a dead socket that no agent of this machine made is in the way.
 */
/** The running agent's socket, or why there is none; never starts one. */
export const connectRunning = async (socketPath: string): Promise<net.Socket | AgentUnavailableFailure> => {
  const connection = await connect(socketPath)
  if (connection._tag === "Connected") return connection.socket
  if (connection._tag === "Untrusted") return agentUnavailable(`refusing the agent socket: ${connection.message}`)
  return agentUnavailable(`no agent is running at ${socketPath} (${connection.reason})`)
}

export const connectOrStart = async (
  socketPath: string,
  env: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
  tell: (text: string) => void = userMessages()
): Promise<net.Socket | AgentUnavailableFailure> => {
  const first = await connect(socketPath)
  if (first._tag === "Connected") return first.socket
  if (first._tag === "Untrusted") return agentUnavailable(`refusing the agent socket: ${first.message}`)
  if ((env.MAIRU_NO_AUTO_AGENT ?? "") !== "") {
    return agentUnavailable(
      `no agent is running at ${socketPath} (${first.reason}) and MAIRU_NO_AUTO_AGENT is set; start one with: mairu agent`
    )
  }
  const dead = deadSocketOwner(socketPath, env)
  if (dead === "foreign") {
    return agentUnavailable(
      `nothing answers at ${socketPath}, and no mairu agent of this machine made it: a forwarded agent socket ` +
        `whose connection ended? Reconnect (ssh, or the container's -v), or run an agent on this machine with: mairu agent`
    )
  }
  if (dead === "default place") {
    tell(
      `Nothing answers at ${socketPath}: an agent that is gone left it (the original Rust Mairu's, or one that ` +
        `crashed). Starting a new agent there.`
    )
  }
  return startAgent(socketPath, env, signal)
}
