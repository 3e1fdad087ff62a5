import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { makeHome, runMairu } from "../support/mairu.js"

const home = makeHome()
afterAll(() => fs.rmSync(home.root, { recursive: true, force: true }))

const installed = (shell: string) => fs.existsSync(`/usr/bin/${shell}`) || fs.existsSync(`/bin/${shell}`)

describe.each(["bash", "zsh", "fish"])("completions for %s", (shell) => {
  it.skipIf(!installed(shell))("are generated and parse", async () => {
    const result = await runMairu(home, ["--completions", shell])
    expect(result.code).toBe(0)
    for (const command of ["exec", "credential-process", "login", "setup-sso", "list-roles"]) {
      expect(result.stdout).toContain(shell === "bash" ? command.replace("-", "__") : command)
    }
    const file = path.join(home.root, `completions.${shell}`)
    fs.writeFileSync(file, result.stdout)
    // `-n`: read and parse without running.
    execFileSync(shell, ["-n", file])
  })
})
