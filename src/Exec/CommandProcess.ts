import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { platform } from "../Platform/ThisPlatform.js"

/**
 * Runs the user's command as transparently as a child can be: same terminal,
 * stdio, working directory and process group, so Ctrl-C, Ctrl-\ and job control
 * reach it from the terminal; SIGTERM, SIGHUP and the user signals sent to mairu
 * are passed on. ExecRunnerLive wraps it; the fast exec path uses it as is.
 */

/** How the command ended, or why it could not start. */
export type CommandOutcome =
  | { readonly _tag: "Exited"; readonly code: number }
  | { readonly _tag: "Signaled"; readonly signal: NodeJS.Signals }
  | { readonly _tag: "NotRunnable"; readonly message: string; readonly exitCode: number }

/** Signals sent to mairu itself (not by the terminal to the whole group) that the command must get. */
const FORWARDED: ReadonlyArray<NodeJS.Signals> = ["SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"]
/** Signals the terminal sends to the whole foreground group: the command gets them already. */
const FROM_TERMINAL: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGQUIT"]

const isExecutable = (file: string) => {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

/** The file `name` runs, as the shell would find it on PATH. */
export const findExecutable = (name: string, envPath: string | undefined): string | undefined => {
  if (name.includes("/")) return isExecutable(name) ? name : undefined
  for (const dir of (envPath ?? "").split(":")) {
    const candidate = path.join(dir === "" ? "." : dir, name)
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

/**
 * Takes over the signal handlers (a runtime's included) until `restore`: forwarded signals go to
 * the command once `forwardTo` names it, and wait for it until then. Taken over before the command
 * starts, so that no signal sent once it runs finds mairu without a handler (and kills it). Each
 * new handler goes in before the old ones leave: a signal with no handler at all kills the process.
 */
const takeOverSignals = () => {
  let child: ChildProcess | undefined
  const pending: Array<NodeJS.Signals> = []
  const saved = new Map<NodeJS.Signals, Array<(...args: Array<unknown>) => void>>()
  const ours = new Map<NodeJS.Signals, () => void>()
  for (const signal of [...FORWARDED, ...FROM_TERMINAL]) {
    const handler = FORWARDED.includes(signal)
      ? () => void (child === undefined ? pending.push(signal) : child.kill(signal))
      : () => undefined
    const previous = process.listeners(signal) as Array<(...args: Array<unknown>) => void>
    saved.set(signal, previous)
    ours.set(signal, handler)
    process.on(signal, handler)
    for (const listener of previous) process.off(signal, listener)
  }
  return {
    forwardTo: (started: ChildProcess) => {
      child = started
      for (const signal of pending.splice(0)) started.kill(signal)
    },
    restore: () => {
      for (const [signal, listeners] of saved) {
        for (const listener of listeners) process.on(signal, listener)
        process.off(signal, ours.get(signal)!)
      }
    }
  }
}

export const runCommand = (
  command: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>
): Promise<CommandOutcome> =>
  new Promise((resolve) => {
    const [name, ...args] = command
    if (name === undefined) return resolve({ _tag: "NotRunnable", message: "no command to run was given", exitCode: 2 })
    const file = findExecutable(name, env.PATH)
    if (file === undefined) {
      return resolve({ _tag: "NotRunnable", message: `command not found: ${name}`, exitCode: 127 })
    }
    // The command gets SIGTERM if mairu dies without passing a signal on, where the platform can do that.
    const [program, ...programArgs] = platform.withParentDeathSignal([file, ...args])
    const signals = takeOverSignals()
    const child = spawn(program!, programArgs, { stdio: "inherit", env })
    signals.forwardTo(child)
    child.once("error", (error) => {
      signals.restore()
      resolve({ _tag: "NotRunnable", message: `cannot run ${name}: ${error.message}`, exitCode: 126 })
    })
    child.once("exit", (code, signal) => {
      signals.restore()
      resolve(signal !== null ? { _tag: "Signaled", signal } : { _tag: "Exited", code: code ?? 1 })
    })
  })

/** Commands run with the user's environment minus any AWS credentials, plus what mairu hands out. */
const INHERITED_CREDENTIALS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_SECURITY_TOKEN",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
]

/** What a command gets: static keys or an endpoint, and the region of a `.mairu.json`. */
export interface CommandCredentials {
  readonly static?: {
    readonly accessKeyId: string
    readonly secretAccessKey: string
    readonly sessionToken: string | undefined
  }
  readonly ecs?: { readonly url: string; readonly token: string }
  readonly region: string | undefined
}

/** The command's environment: the user's, plus the credential variables of the mode. */
export const commandEnv = (base: NodeJS.ProcessEnv, credentials: CommandCredentials): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value
  for (const key of INHERITED_CREDENTIALS) delete env[key]
  if (credentials.static !== undefined) {
    env.AWS_ACCESS_KEY_ID = credentials.static.accessKeyId
    env.AWS_SECRET_ACCESS_KEY = credentials.static.secretAccessKey
    if (credentials.static.sessionToken !== undefined) env.AWS_SESSION_TOKEN = credentials.static.sessionToken
  }
  if (credentials.ecs !== undefined) {
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI = credentials.ecs.url
    env.AWS_CONTAINER_AUTHORIZATION_TOKEN = credentials.ecs.token
  }
  const region = credentials.region
  if (region !== undefined && env.AWS_REGION === undefined && env.AWS_DEFAULT_REGION === undefined) {
    env.AWS_REGION = region
    env.AWS_DEFAULT_REGION = region
  }
  return env
}

/** Dies by `signal` like the command did, or exits 128+N where that is not possible. */
export const dieBy = (signal: NodeJS.Signals): never => {
  process.removeAllListeners(signal)
  try {
    process.kill(process.pid, signal)
  } catch {
    // fall through to the exit code
  }
  return process.exit(128 + (os.constants.signals[signal] ?? 0))
}
