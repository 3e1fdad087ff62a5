import * as http from "node:http"
import { describe, expect, it, onTestFinished } from "vitest"
import { startEcsServer } from "../../src/Exec/EcsServer.js"

describe("the ecs endpoint", () => {
  it("keeps the user's own connection alive between requests, as Node's HTTP agent (and the AWS SDKs) reuse it", async () => {
    const server = await startEcsServer(async () => ({
      ok: true as const,
      value: {
        accessKeyId: "AKIDKEEPALIVE",
        secretAccessKey: "secret",
        sessionToken: "token",
        expiration: new Date(Date.now() + 3_600_000),
        noCache: false
      }
    }), { reuse: true, record: async () => undefined })
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
})
