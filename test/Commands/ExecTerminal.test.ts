import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { mairuBin, type MairuHome } from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`

/**
 * Runs mairu in a real pseudo-terminal (util-linux `script`), so that it has a
 * controlling terminal: `steps` wait for text on the screen and then type.
 */
const inTerminal = (
  args: Array<string>,
  steps: Array<{ waitFor: string; type: string }>,
  cwd = home.root
) =>
  new Promise<{ code: number | null; screen: string }>((resolve, reject) => {
    // `exec`: script's shell must not stay between the terminal and mairu (it would take Ctrl-C too).
    const commandLine = "exec " + [process.execPath, mairuBin, ...args].map(quote).join(" ")
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

describe("exec in a terminal", () => {
  it("lets Ctrl-C reach the command, which decides how to end", async () => {
    const { code, screen } = await inTerminal(
      [
        "exec",
        "--server",
        "local",
        "demo",
        "sh",
        "-c",
        "trap \"echo got-int; exit 3\" INT; echo ready; while :; do sleep 0.1; done"
      ],
      [{ waitFor: "ready", type: "\x03" }]
    )
    expect(screen).toContain("got-int")
    expect(code).toBe(3)
  })

  it("dies by SIGINT when Ctrl-C kills the command", async () => {
    const { code, screen } = await inTerminal(
      ["exec", "--server", "local", "demo", "sh", "-c", "echo ready; exec sleep 30"],
      [{ waitFor: "ready", type: "\x03" }]
    )
    expect(screen).toContain("ready")
    expect(code).toBe(130)
  })

  it("asks on the terminal whether to trust a .mairu.json, and runs the command after yes", async () => {
    const project = path.join(home.root, "tty-project")
    fs.mkdirSync(project, { recursive: true })
    fs.writeFileSync(path.join(project, ".mairu.json"), JSON.stringify({ server: "local", role: "demo" }))
    const { code, screen } = await inTerminal(
      ["exec", "auto", "sh", "-c", "echo trusted-ok"],
      [{ waitFor: "Trust this file? (yes/no)", type: "yes\r" }],
      project
    )
    expect(screen).toContain(":: mairu ::   role:   demo")
    expect(screen).toContain("trusted-ok")
    expect(code).toBe(0)
  })

  it("runs nothing when the answer is no", async () => {
    const project = path.join(home.root, "tty-project-no")
    fs.mkdirSync(project, { recursive: true })
    fs.writeFileSync(path.join(project, ".mairu.json"), JSON.stringify({ server: "local", role: "demo" }))
    const { code, screen } = await inTerminal(
      ["exec", "auto", "sh", "-c", "echo should-not-run"],
      [{ waitFor: "Trust this file? (yes/no)", type: "no\r" }],
      project
    )
    expect(screen).toContain("was not trusted; the command was not run")
    expect(screen).not.toContain("should-not-run\r\n")
    expect(code).toBe(1)
  })
})
