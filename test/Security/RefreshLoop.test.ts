import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type HostileServer, startHostileServer, writeHostileConfig } from "../support/hostileServer.js"
import { cleanupHome, type MairuHome, makeHome, runMairu } from "../support/mairu.js"

let server: HostileServer
let home: MairuHome

beforeAll(async () => {
  server = await startHostileServer()
  home = makeHome({ MAIRU_AGENT_LOG: "debug", MAIRU_NO_BROWSER: "1" })
  writeHostileConfig(home.configDir, server)
})
afterAll(async () => {
  await cleanupHome(home)
  await server.stop()
})

describe("a server that issues tokens already expired (expires_in: 0)", () => {
  it("is not asked to refresh in a tight loop, and the agent says so once in its log", async () => {
    server.tokenLifetime(0)
    server.refreshAnswer("issue")
    const login = await runMairu(home, ["login", "--oauth-grant-type", "device_code", "hostile"])
    expect(login.code).toBe(0)
    // Requests keep coming meanwhile, each of which would refresh a session past its expiry.
    for (let i = 0; i < 10; i++) {
      const used = await runMairu(home, ["credential-process", "hostile", "fine"])
      expect(used.code).toBe(0)
    }
    // The first refresh is due 10 s after the login, the next 20 s after that: at most those two,
    // unless this took half a minute (without the pace, hundreds).
    expect(server.tokenRequests().refresh_token ?? 0).toBeLessThanOrEqual(2)
    const log = fs.readFileSync(path.join(home.stateDir, "mairu", "log", "agent.log"), "utf8")
    expect(log.split("hostile issued tokens that had already expired").length - 1).toBe(1)
  })
})
