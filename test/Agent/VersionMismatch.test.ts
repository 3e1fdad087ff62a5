import * as fs from "node:fs"
import type * as net from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { startFakeAgent, stopFakeAgent } from "../support/fakeAgent.js"
import { type MairuHome, makeHome, runMairu } from "../support/mairu.js"

let home: MairuHome | undefined
let fake: net.Server | undefined
afterEach(async () => {
  if (fake) await stopFakeAgent(fake)
  if (home) fs.rmSync(home.root, { recursive: true, force: true })
})

describe("a client and an agent of different versions", () => {
  it("tells the user to restart the agent with kill-agent", async () => {
    home = makeHome()
    // An "agent" of another version: answers every request with a mismatch.
    fake = await startFakeAgent(home.socketPath, ({ id }, socket) => {
      socket.write(JSON.stringify({ id, mismatch: { protocol: 1, version: "0.0.1-old" } }) + "\n")
    })
    const result = await runMairu(home, ["list-sessions"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("the running agent is version 0.0.1-old")
    expect(result.stderr).toContain("mairu kill-agent")
  })

  it("stops it with kill-agent, which waits until its socket has closed", async () => {
    home = makeHome()
    // An agent of another version: a mismatch for everything but Shutdown, which it
    // answers, closing its socket a moment later.
    let stoppedAt: number | undefined
    fake = await startFakeAgent(home.socketPath, ({ id, request }, socket) => {
      if (request._tag !== "Shutdown") {
        socket.end(JSON.stringify({ id, mismatch: { protocol: 1, version: "0.0.1-old" } }) + "\n")
        return
      }
      socket.end(JSON.stringify({ id, exit: { _tag: "Success" } }) + "\n")
      setTimeout(() => {
        stoppedAt = Date.now()
        fake!.close()
        fake = undefined
      }, 300)
    })
    const result = await runMairu(home, ["kill-agent"])
    expect(result.stderr).toContain("The agent has stopped")
    expect(result.code).toBe(0)
    expect(stoppedAt).toBeDefined()
  })
})
