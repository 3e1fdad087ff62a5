import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
export const mairuBin = path.join(repoRoot, "dist", "mairu.cjs")

/**
 * A copy of dist/ in a fresh folder every user may enter, for running mairu as another user or
 * without some of its files (those `keep` refuses): the checkout itself may sit in a folder only
 * its owner can enter. Its entry is `bin`; `remove` deletes the copy.
 */
export const distCopy = (keep: (source: string) => boolean = () => true) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-dist-"))
  fs.chmodSync(dir, 0o755)
  fs.cpSync(path.join(repoRoot, "dist"), dir, { recursive: true, filter: keep })
  return { bin: path.join(dir, "mairu.cjs"), remove: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/** A private HOME, XDG folders and agent socket for one test. */
export interface MairuHome {
  readonly root: string
  readonly env: Record<string, string>
  readonly configDir: string
  readonly stateDir: string
  readonly socketPath: string
}

export const makeHome = (extraEnv: Record<string, string> = {}): MairuHome => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-test-"))
  const home = path.join(root, "home")
  const configDir = path.join(home, ".config")
  const stateDir = path.join(home, ".local", "state")
  fs.mkdirSync(configDir, { recursive: true })
  const socketPath = path.join(root, "run", "mairu-agent.sock")
  return {
    root,
    configDir,
    stateDir,
    socketPath,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      XDG_CONFIG_HOME: configDir,
      XDG_STATE_HOME: stateDir,
      MAIRU_AGENT_SOCK: socketPath,
      ...extraEnv
    }
  }
}

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Starts mairu detached (a new session: no controlling terminal, so messages go to stderr). */
export const startMairu = (
  home: MairuHome,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  cwd?: string
) =>
  spawn(process.execPath, [mairuBin, ...args], {
    env: { ...home.env, ...env },
    ...(cwd === undefined ? {} : { cwd }),
    detached: true,
    stdio: ["pipe", "pipe", "pipe"]
  })

export const collect = (child: ChildProcess, timeoutMs = 45_000): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`mairu did not exit within ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })

export const runMairu = (
  home: MairuHome,
  args: ReadonlyArray<string>,
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number; cwd?: string } = {}
): Promise<RunResult> => {
  const child = startMairu(home, args, options.env, options.cwd)
  child.stdin?.end(options.input ?? "")
  return collect(child, options.timeoutMs)
}

/** Resolves with the first match of `pattern` in the child's stderr. */
export const waitForStderr = (child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> =>
  new Promise((resolve, reject) => {
    let seen = ""
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms: ${seen}`)),
      timeoutMs
    )
    const onData = (d: Buffer) => {
      seen += d.toString()
      const match = seen.match(pattern)
      if (match !== null) {
        clearTimeout(timer)
        child.stderr?.off("data", onData)
        resolve(match)
      }
    }
    child.stderr?.on("data", onData)
  })

/** Stops the test's agent and removes its folders. */
export const cleanupHome = async (home: MairuHome) => {
  await runMairu(home, ["kill-agent"], { timeoutMs: 10_000 }).catch(() => undefined)
  fs.rmSync(home.root, { recursive: true, force: true })
}

/** Every file below `dir` with its content, for secret scans. */
export const readAllFiles = (dir: string): Array<{ file: string; content: string }> => {
  const out: Array<{ file: string; content: string }> = []
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile()) out.push({ file: full, content: fs.readFileSync(full, "latin1") })
    }
  }
  if (fs.existsSync(dir)) walk(dir)
  return out
}

/** A memory figure of a running process, in kB, from /proc/PID/status: VmRSS now, VmHWM its peak so far. */
export const memoryKb = (pid: number, figure: "VmRSS" | "VmHWM") =>
  Number(fs.readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${figure}:\\s+(\\d+) kB`, "m"))![1])

/** The pids of the agents serving `home`'s socket. */
export const agentPids = (home: MairuHome) => {
  const pids: Array<number> = []
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")
      const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")
      if (cmdline.includes("agent") && environ.includes(`MAIRU_AGENT_SOCK=${home.socketPath}`)) pids.push(Number(pid))
    } catch {
      // the process went away
    }
  }
  return pids
}

const agentLog = (home: MairuHome) => {
  const file = path.join(home.stateDir, "mairu", "log", "agent.log")
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : ""
}

/** How many requests of kind `tag` `home`'s agent received: its log shows each at debug level (MAIRU_AGENT_LOG=debug). */
export const agentRequests = (home: MairuHome, tag: string) =>
  agentLog(home).split(`request ${tag} on connection `).length - 1

/** Resolves once `home`'s agent has received more requests of kind `tag` than `before`. */
export const untilAgentRequests = async (home: MairuHome, tag: string, before: number) => {
  while (agentRequests(home, tag) <= before) await new Promise((r) => setTimeout(r, 50))
}

/**
 * How many times the fast exec path ran against `home`'s agent: the connections its debug
 * log shows with both a ResolveServer and a GetCredentials request (the fast path pipelines
 * them on one connection; the full path asks on connections of their own).
 */
export const fastExecRuns = (home: MairuHome) => {
  const byConnection = new Map<string, Set<string>>()
  for (const [, tag, connection] of agentLog(home).matchAll(/request (\w+) on connection (\d+)/g)) {
    byConnection.set(connection!, (byConnection.get(connection!) ?? new Set()).add(tag!))
  }
  return [...byConnection.values()].filter((tags) => tags.has("ResolveServer") && tags.has("GetCredentials")).length
}
