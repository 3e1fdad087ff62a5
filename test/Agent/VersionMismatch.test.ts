import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { type MairuHome, makeHome, runMairu } from "../support/mairu.js"

let home: MairuHome | undefined
let fake: net.Server | undefined
afterEach(async () => {
  await new Promise<void>((r) => (fake ? fake.close(() => r()) : r()))
  if (home) fs.rmSync(home.root, { recursive: true, force: true })
})

describe("a client and an agent of different versions", () => {
  it("tells the user to restart the agent with kill-agent", async () => {
    home = makeHome()
    fs.mkdirSync(path.dirname(home.socketPath), { recursive: true, mode: 0o700 })
    // An "agent" of another version: answers every request with a mismatch.
    fake = net.createServer((socket) => {
      socket.on("error", () => socket.destroy())
      socket.on("data", (data) => {
        const { id } = JSON.parse(data.toString().split("\n")[0]!)
        socket.write(JSON.stringify({ id, mismatch: { protocol: 1, version: "0.0.1-old" } }) + "\n")
      })
    })
    await new Promise<void>((r) => fake!.listen(home!.socketPath, r))
    const result = await runMairu(home, ["list-sessions"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("the running agent is version 0.0.1-old")
    expect(result.stderr).toContain("mairu kill-agent")
  })

  it("stops it with kill-agent, which waits until its socket has closed", async () => {
    home = makeHome()
    fs.mkdirSync(path.dirname(home.socketPath), { recursive: true, mode: 0o700 })
    // An agent of another version: a mismatch for everything but Shutdown, which it
    // answers, closing its socket a moment later.
    let stoppedAt: number | undefined
    fake = net.createServer((socket) => {
      socket.on("error", () => socket.destroy())
      socket.on("data", (data) => {
        const { id, request } = JSON.parse(data.toString().split("\n")[0]!)
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
    })
    await new Promise<void>((r) => fake!.listen(home!.socketPath, r))
    const result = await runMairu(home, ["kill-agent"])
    expect(result.stderr).toContain("The agent has stopped")
    expect(result.code).toBe(0)
    expect(stoppedAt).toBeDefined()
  })
})
