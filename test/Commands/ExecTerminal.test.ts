import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import type { MairuHome } from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"
import { inTerminal } from "../support/terminal.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

describe("exec in a terminal", () => {
  it("lets Ctrl-C reach the command, which decides how to end", async () => {
    const { code, screen } = await inTerminal(
      home,
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
      home,
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
      home,
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
      home,
      ["exec", "auto", "sh", "-c", "echo should-not-run"],
      [{ waitFor: "Trust this file? (yes/no)", type: "no\r" }],
      project
    )
    expect(screen).toContain("was not trusted; the command was not run")
    expect(screen).not.toContain("should-not-run\r\n")
    expect(code).toBe(1)
  })
})
