import { spawn } from "node:child_process"
import { mairuBin, type MairuHome } from "./mairu.js"

const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`

type Steps = ReadonlyArray<{ waitFor: string; type: string }>

/**
 * Runs mairu in a real pseudo-terminal (util-linux `script`), so that it has a
 * controlling terminal: `steps` wait for text on the screen and then type.
 * The screen is everything mairu wrote to the terminal, byte for byte.
 */
export const inTerminal = (home: MairuHome, args: ReadonlyArray<string>, steps: Steps, cwd = home.root) =>
  scriptInTerminal(mairuBin, home, args, steps, cwd)

/**
 * The same for any Node script (the dev server). `exec`: script's shell must not stay between the
 * terminal and the script (it would take Ctrl-C too).
 */
export const scriptInTerminal = (
  script: string,
  home: MairuHome,
  args: ReadonlyArray<string>,
  steps: Steps,
  cwd = home.root
) =>
  new Promise<{ code: number | null; screen: string }>((resolve, reject) => {
    const commandLine = "exec " + [process.execPath, script, ...args].map(quote).join(" ")
    const child = spawn("script", ["-qfec", commandLine, "/dev/null"], {
      env: { ...home.env, TERM: "dumb" },
      cwd,
      stdio: ["pipe", "pipe", "pipe"]
    })
    let screen = ""
    let step = 0
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`timed out; screen so far:\n${screen}`))
    }, 30_000)
    child.stdout.on("data", (data: Buffer) => {
      screen += data.toString()
      const next = steps[step]
      if (next !== undefined && screen.includes(next.waitFor)) {
        step++
        setTimeout(() => child.stdin.write(next.type), 100)
      }
    })
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, screen })
    })
  })
