import * as net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PROTOCOL_VERSION } from "../../src/Schemas/ProtocolVersion.js"
import { cleanupHome, type MairuHome, makeHome, runMairu } from "../support/mairu.js"

let home: MairuHome
beforeAll(async () => {
  home = makeHome()
  const started = await runMairu(home, ["agent"])
  expect(started.code).toBe(0)
})
afterAll(() => cleanupHome(home))

/**
 * Sends raw bytes and resolves with what the agent answered: once a whole line came, or with
 * `untilClose` once the agent closed the connection.
 */
const exchange = (payload: Buffer | string, untilClose = false) =>
  new Promise<{ text: string; closed: boolean }>((resolve) => {
    const socket = net.createConnection(home.socketPath)
    let text = ""
    socket.on("data", (d) => {
      text += d.toString()
      if (!untilClose && text.includes("\n")) {
        socket.destroy()
        resolve({ text, closed: false })
      }
    })
    socket.on("error", () => undefined)
    socket.on("close", () => resolve({ text, closed: true }))
    socket.on("connect", () => socket.write(payload))
  })

const stillServes = async () => {
  const result = await runMairu(home, ["list-sessions"])
  expect(result.code).toBe(0)
  expect(result.stderr).toContain("No sessions")
}

describe("the agent socket under bad input", () => {
  it("answers garbage with an InvalidArgument error and keeps serving", async () => {
    const { text } = await exchange("this is not json\n")
    const answer = JSON.parse(text.trim().split("\n")[0]!)
    expect(answer.id).toBe(0)
    expect(JSON.stringify(answer.exit)).toContain("InvalidArgument")
    await stillServes()
  })

  it("answers random bytes and a wrong schema with errors", async () => {
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))
    await exchange(Buffer.concat([random, Buffer.from("\n")]))
    const { text } = await exchange(
      JSON.stringify({ v: PROTOCOL_VERSION, id: 5, version: "0.1.0", request: { _tag: "GetCredentials" } }) + "\n"
    )
    const answer = JSON.parse(text.trim())
    expect(answer.id).toBe(5)
    expect(JSON.stringify(answer.exit)).toContain("malformed request")
    await stillServes()
  })

  it("tells a client of another protocol version that it does not match", async () => {
    const { text } = await exchange(
      JSON.stringify({ v: 99, id: 3, version: "9.9.9", request: { _tag: "Hello" } }) + "\n"
    )
    const answer = JSON.parse(text.trim())
    expect(answer).toMatchObject({ id: 3, mismatch: { protocol: PROTOCOL_VERSION } })
  })

  it("closes a connection that sends an oversized line, and keeps serving others", async () => {
    const { text, closed } = await exchange(Buffer.alloc(10 * 1024 * 1024, 97), true)
    expect(closed).toBe(true)
    expect(text).toContain("exceeds")
    await stillServes()
  })

  it("is unaffected by a truncated frame from a client that goes away", async () => {
    await new Promise<void>((resolve) => {
      const socket = net.createConnection(home.socketPath)
      socket.on("error", () => undefined)
      socket.on("close", () => resolve())
      socket.on(
        "connect",
        () =>
          socket.write(
            `{"v":${PROTOCOL_VERSION},"id":9,"version":"0.1.0","request":{"_tag":"Hel`,
            () => socket.destroy()
          )
      )
    })
    await stillServes()
  })
})
