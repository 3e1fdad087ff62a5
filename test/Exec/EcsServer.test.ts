import { spawn } from "node:child_process"
import * as http from "node:http"
import { describe, expect, it, onTestFinished } from "vitest"
import { type EcsHandOut, startEcsServer } from "../../src/Exec/EcsServer.js"
import { linux } from "../../src/Platform/Linux.js"
import type { LoopbackPeerQuery, Platform } from "../../src/Platform/Platform.js"
import type { ReportedRequester } from "../../src/Schemas/Audit.js"

const credentials = (accessKeyId: string) => ({
  ok: true as const,
  value: {
    accessKeyId,
    secretAccessKey: "secret",
    sessionToken: "token",
    expiration: new Date(Date.now() + 3_600_000),
    noCache: false
  }
})

describe("the ecs endpoint", () => {
  it("keeps the user's own connection alive between requests, as Node's HTTP agent (and the AWS SDKs) reuse it", async () => {
    const server = await startEcsServer(async () => credentials("AKIDKEEPALIVE"), {
      reuse: true,
      record: async () => undefined
    })
    onTestFinished(server.close)
    const agent = new http.Agent({ keepAlive: true })
    onTestFinished(() => agent.destroy())
    /** The local port of the connection that carried one request, and its answer. */
    const get = () =>
      new Promise<{ port: number | undefined; body: string }>((resolve, reject) => {
        http.get(server.url, { agent, headers: { authorization: server.token } }, (response) => {
          const port = response.socket.localPort
          let body = ""
          response.on("data", (chunk: Buffer) => (body += chunk.toString()))
          response.on("end", () => resolve({ port, body }))
        }).on("error", reject)
      })
    const first = await get()
    // The agent takes the connection back once the answer has ended.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const second = await get()
    expect(JSON.parse(second.body)).toMatchObject({ AccessKeyId: "AKIDKEEPALIVE" })
    expect(second.port).toBe(first.port)
  })

  it("finds the process behind each connection once, with its user, and names it in every hand-out of that connection", async () => {
    const lookups: Array<LoopbackPeerQuery | undefined> = []
    const platform: Platform = {
      ...linux,
      loopbackPeer: (connection, query) => {
        lookups.push(query)
        return linux.loopbackPeer(connection, query)
      }
    }
    const asked: Array<ReportedRequester> = []
    const recorded: Array<EcsHandOut> = []
    // The first request asks the agent; the three others are answered from its credentials and told afterwards.
    let allTold: () => void = () => undefined
    const threeTold = new Promise<void>((resolve) => (allTold = resolve))
    const server = await startEcsServer(async (requester) => {
      asked.push(requester)
      return credentials("AKIDONCE")
    }, {
      reuse: true,
      record: async (handOuts) => {
        recorded.push(...handOuts)
        if (recorded.length === 3) allTold()
      },
      platform
    })
    onTestFinished(server.close)
    // A command of exec's: three requests on one kept-alive connection, then one on a new connection.
    const client = spawn(process.execPath, [
      "-e",
      `const http = require("node:http")
      const get = (agent) => new Promise((resolve, reject) => http.get(process.env.URL, { agent, headers: { authorization: process.env.TOKEN } },
        (res) => res.resume().on("end", () => resolve(res.statusCode))).on("error", reject))
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      ;(async () => {
        const statuses = [await get(agent), await get(agent), await get(agent), await get(false)]
        agent.destroy()
        console.log(statuses.join(" "))
      })()`
    ], { env: { ...process.env, URL: server.url, TOKEN: server.token }, stdio: ["ignore", "pipe", "inherit"] })
    let output = ""
    client.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
    await new Promise((resolve) => client.once("exit", resolve))
    expect(output.trim()).toBe("200 200 200 200")
    await threeTold
    expect(lookups).toEqual([{ pid: { descendantsOf: process.pid } }, { pid: { descendantsOf: process.pid } }])
    const requesters = [...asked, ...recorded.map((handOut) => handOut.requester)]
    expect(requesters.length).toBe(4)
    for (const requester of requesters) {
      expect(requester).toMatchObject({ _tag: "Process", process: { pid: client.pid, uid: process.getuid!() } })
    }
  })
})
