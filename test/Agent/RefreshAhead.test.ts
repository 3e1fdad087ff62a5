import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { type MairuHome, runMairu } from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  // Credentials that live 20 minutes and 8 seconds: the agent renews them 20 minutes
  // before they expire (5 minutes before the cache's 15-minute window), i.e. after 8 s.
  ;({ server, home } = await setUpLocal({
    server: { credentialTtl: 20 * 60 + 8 },
    env: { MAIRU_AGENT_REFRESH_SPREAD: "0" }
  }))
})
afterAll(() => tearDownLocal({ server, home }))

describe("refresh ahead against the real local server", () => {
  it("renews a used role before it leaves the cache, so that the next request is a cache hit", async () => {
    const role = "123456789012/Ahead"
    const first = JSON.parse((await runMairu(home, ["credential-process", "local", role])).stdout)
    expect((await server.stats()).assumeRole[role]).toBe(1)
    for (let i = 0; i < 100 && ((await server.stats()).assumeRole[role] ?? 0) < 2; i++) {
      await new Promise((r) => setTimeout(r, 200))
    }
    expect((await server.stats()).assumeRole[role]).toBe(2)
    const next = JSON.parse((await runMairu(home, ["credential-process", "local", role])).stdout)
    expect(next.AccessKeyId).not.toBe(first.AccessKeyId)
    expect(Date.parse(next.Expiration)).toBeGreaterThan(Date.parse(first.Expiration))
    expect((await server.stats()).assumeRole[role]).toBe(2)
  })
})
