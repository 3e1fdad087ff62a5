import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { cleanupHome, collect, mairuBin, type MairuHome, makeHome } from "../support/mairu.js"

const homes: Array<MairuHome> = []
afterEach(async () => {
  await Promise.all(homes.splice(0).map(cleanupHome))
})

describe("on Windows", () => {
  it("exits 1 at once with one line that points to WSL: no stack trace, no agent", async () => {
    const home = makeHome()
    homes.push(home)
    // Node on Windows, as far as mairu can tell: process.platform says win32.
    const preload = path.join(home.root, "windows.cjs")
    fs.writeFileSync(preload, `Object.defineProperty(process, "platform", { value: "win32" })\n`)
    for (const args of [["status"], ["credential-process", "acme", "ReadOnly"], ["agent", "--foreground"], []]) {
      const child = spawn(process.execPath, ["--require", preload, mairuBin, ...args], {
        env: home.env,
        stdio: ["ignore", "pipe", "pipe"]
      })
      const result = await collect(child)
      expect(result.code, args.join(" ")).toBe(1)
      expect(result.stdout).toBe("")
      expect(result.stderr).toBe(
        ":: mairu :: mairu does not support Windows; run it in WSL (Windows Subsystem for Linux), where it works.\n"
      )
    }
    expect(fs.existsSync(path.dirname(home.socketPath))).toBe(false)
  })
})
