import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { CommandNotRunnable, ExecRunner, type ExitStatus } from "../Services/ExecRunner.js"

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

/** On Linux, `setpriv --pdeathsig` makes the command get SIGTERM if mairu dies without passing a signal on. */
const PDEATHSIG_WRAPPER = process.platform === "linux" && isExecutable("/usr/bin/setpriv") ? "/usr/bin/setpriv" : undefined

/** Takes over the signal handlers (the runtime's included) while the command runs, and gives them back. */
const withSignalsFor = (child: import("node:child_process").ChildProcess) => {
  const saved = new Map<NodeJS.Signals, Array<(...args: Array<unknown>) => void>>()
  for (const signal of [...FORWARDED, ...FROM_TERMINAL]) {
    saved.set(signal, process.listeners(signal) as Array<(...args: Array<unknown>) => void>)
    process.removeAllListeners(signal)
    process.on(signal, FORWARDED.includes(signal) ? () => child.kill(signal) : () => undefined)
  }
  return () => {
    for (const [signal, listeners] of saved) {
      process.removeAllListeners(signal)
      for (const listener of listeners) process.on(signal, listener)
    }
  }
}

export const ExecRunnerLive = Layer.succeed(ExecRunner, {
  run: (command, env) =>
    Effect.async<ExitStatus, CommandNotRunnable>((resume) => {
      const [name, ...args] = command
      if (name === undefined) {
        resume(Effect.fail(new CommandNotRunnable({ message: "no command to run was given", exitCode: 2 })))
        return
      }
      const file = findExecutable(name, env.PATH)
      if (file === undefined) {
        resume(Effect.fail(new CommandNotRunnable({ message: `command not found: ${name}`, exitCode: 127 })))
        return
      }
      const [program, programArgs] = PDEATHSIG_WRAPPER === undefined
        ? [file, args]
        : [PDEATHSIG_WRAPPER, ["--pdeathsig", "TERM", "--", file, ...args]]
      const child = spawn(program, programArgs, { stdio: "inherit", env })
      const restoreSignals = withSignalsFor(child)
      child.once("error", (error) => {
        restoreSignals()
        resume(Effect.fail(new CommandNotRunnable({ message: `cannot run ${name}: ${error.message}`, exitCode: 126 })))
      })
      child.once("exit", (code, signal) => {
        restoreSignals()
        resume(Effect.succeed(signal !== null ? { _tag: "Signaled", signal } : { _tag: "Exited", code: code ?? 1 }))
      })
    })
})
