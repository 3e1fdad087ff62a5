import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { isProcessAlive } from "../../src/Platform/ProcessAlive.js"

describe("isProcessAlive", () => {
  it("tells a running process from one that is gone, and counts an unreaped (zombie) one as gone", async () => {
    // The short sleep ends once its parent has become the long one, which never reaps it.
    const parent = spawn("/bin/sh", ["-c", "sleep 0.2 & echo $!; exec sleep 5"], {
      stdio: ["ignore", "pipe", "ignore"]
    })
    const zombie = Number(
      await new Promise<string>((resolve) => parent.stdout.once("data", (d: Buffer) => resolve(d.toString())))
    )
    try {
      let state = ""
      for (let i = 0; i < 100 && state !== "Z"; i++) {
        await new Promise((r) => setTimeout(r, 20))
        state = fs.readFileSync(`/proc/${zombie}/stat`, "utf8").replace(/^.*\) /s, "")[0]!
      }
      expect(state).toBe("Z")
      expect(isProcessAlive(zombie)).toBe(false)
      expect(isProcessAlive(parent.pid!)).toBe(true)
      expect(isProcessAlive(process.pid)).toBe(true)
    } finally {
      parent.kill()
    }
    await new Promise((r) => parent.once("exit", r))
    expect(isProcessAlive(parent.pid!)).toBe(false)
  })
})
