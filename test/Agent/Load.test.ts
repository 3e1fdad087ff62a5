import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AgentRequest, GetCredentials } from "../../src/Schemas/AgentProtocol.js"
import { PROTOCOL_VERSION } from "../../src/Schemas/ProtocolVersion.js"
import { loadServers } from "../../src/Schemas/ServerFiles.js"
import type { DevServer } from "../support/devServer.js"
import { agentPids, type MairuHome } from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

const version = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8")).version as string

/** One client on its own connection, asking in a loop until `until`; counts answers and failures. */
const client = (lines: ReadonlyArray<string>, until: number) =>
  new Promise<{ ok: number; failed: number }>((resolve, reject) => {
    const socket = net.createConnection(home.socketPath)
    let ok = 0
    let failed = 0
    let buffer = ""
    let next = 0
    const ask = () => {
      if (Date.now() >= until) {
        socket.end()
        return resolve({ ok, failed })
      }
      socket.write(lines[next++ % lines.length]!)
    }
    socket.on("connect", ask)
    socket.on("error", reject)
    socket.on("data", (data) => {
      buffer += data.toString()
      let newline = buffer.indexOf("\n")
      while (newline !== -1) {
        const answer = JSON.parse(buffer.slice(0, newline))
        buffer = buffer.slice(newline + 1)
        if (answer.exit?._tag === "Success" && answer.exit.value.accessKeyId.startsWith("ASIA")) ok++
        else failed++
        ask()
        newline = buffer.indexOf("\n")
      }
    })
  })

describe("the agent under load", () => {
  it("serves 200 concurrent clients over 20 roles with one upstream fetch per role", async () => {
    const local = loadServers(path.join(home.configDir, "mairu", "servers.d")).servers[0]!
    const roles = Array.from({ length: 20 }, (_, i) => `123456789012/Load${i}`)
    const lines = roles.map((role, i) =>
      JSON.stringify({
        v: PROTOCOL_VERSION,
        id: i + 1,
        version,
        request: Schema.encodeSync(AgentRequest)(
          new GetCredentials({
            server: local.id,
            role,
            assumeRole: undefined,
            noCache: false,
            via: "credential-process"
          })
        )
      }) + "\n"
    )
    const seconds = 5
    const started = Date.now()
    const results = await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) => client([...lines.slice(i % 20), ...lines.slice(0, i % 20)], started + seconds * 1000)
      )
    )
    const ok = results.reduce((sum, r) => sum + r.ok, 0)
    const failed = results.reduce((sum, r) => sum + r.failed, 0)
    expect(failed).toBe(0)
    expect(ok).toBeGreaterThan(200 * 5)
    const stats = await server.stats()
    for (const role of roles) expect(stats.assumeRole[role]).toBe(1)
    const [pid] = agentPids(home)
    const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024
    console.log(
      `load: ${ok} answers in ${seconds} s = ${Math.round(ok / seconds)} requests/s from 200 clients; agent RSS ${
        rss.toFixed(1)
      } MB`
    )
    // Bounded memory: 200 connections and 20 roles' credentials must not grow the agent past this.
    expect(rss).toBeLessThan(160)
  })
})
