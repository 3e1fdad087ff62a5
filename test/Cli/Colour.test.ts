import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { afterAll, describe, expect, it } from "vitest"
import { mairuBin, makeHome, runMairu } from "../support/mairu.js"

const home = makeHome()
afterAll(() => fs.rmSync(home.root, { recursive: true, force: true }))

/** `mairu --help` in a real pseudo-terminal (util-linux `script`). */
const helpOnTerminal = (env: Record<string, string>) =>
  execFileSync("script", ["-qfec", `exec ${process.execPath} ${mairuBin} --help`, "/dev/null"], {
    env: { ...home.env, TERM: "xterm", ...env },
    encoding: "utf8"
  })

describe("colour", () => {
  it("is used on a terminal", () => {
    expect(helpOnTerminal({})).toContain("\u001b[")
  })

  it("is never used when NO_COLOR is set", () => {
    const screen = helpOnTerminal({ NO_COLOR: "1" })
    expect(screen).toContain("USAGE")
    expect(screen).not.toContain("\u001b[")
  })

  it("is never used when the output is not a terminal", async () => {
    const result = await runMairu(home, ["--help"])
    expect(result.stdout).toContain("COMMANDS")
    expect(result.stdout).not.toContain("\u001b[")
  })
})
