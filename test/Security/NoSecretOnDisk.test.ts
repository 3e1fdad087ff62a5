import * as fs from "node:fs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { type MairuHome, readAllFiles, runMairu } from "../support/mairu.js"
import { loginByDevice, setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  // Debug logging to the agent's log file: the scan below covers it too.
  ;({ server, home } = await setUpLocal({ env: { MAIRU_AGENT_LOG: "debug" }, login: false }))
})
afterAll(() => tearDownLocal({ server, home }))

describe("no secret on disk", () => {
  it("leaves none of the issued tokens or keys in HOME, the state folder or the socket folder", async () => {
    await loginByDevice(home, server)
    for (const role of ["demo", "123456789012/Developer", "nocache-role"]) {
      const result = await runMairu(home, ["credential-process", "local", role])
      expect(result.code).toBe(0)
    }
    expect((await runMairu(home, ["refresh", "local"])).code).toBe(0)
    const { secrets } = await server.secrets()
    expect(secrets.length).toBeGreaterThan(5)
    const files = readAllFiles(home.root)
    const log = files.find((f) => f.file.endsWith("/log/agent.log"))
    expect(log?.content).toContain("request GetCredentials")
    expect(log?.content).toContain("logged in to local")
    expect(fs.statSync(log!.file).mode & 0o777).toBe(0o600)
    for (const { file, content } of files) {
      for (const secret of secrets) {
        if (content.includes(secret)) throw new Error(`${file} contains an issued secret`)
      }
    }
  })
})
