import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { type MairuHome, runMairu } from "../support/mairu.js"
import { loginByDevice, setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

describe("a session the server revoked", () => {
  it("makes credential-process fail with the login command, then every later call too", async () => {
    const ok = await runMairu(home, ["credential-process", "local", "demo"])
    expect(ok.code).toBe(0)
    await server.revoke()

    const revoked = await runMairu(home, ["credential-process", "--no-cache", "local", "demo"])
    expect(revoked.code).toBe(1)
    expect(revoked.stdout).toBe("")
    expect(revoked.stderr).toContain("session is no longer valid")
    expect(revoked.stderr).toContain("mairu login local")

    const later = await runMairu(home, ["credential-process", "local", "other"])
    expect(later.code).toBe(1)
    expect(later.stdout).toBe("")
    expect(later.stderr).toContain("not logged in to local")
    expect(later.stderr).toContain("mairu login local")

    const sessions = await runMairu(home, ["list-sessions"])
    expect(sessions.stdout).toBe("")
  })

  it("lets the user log in again", async () => {
    await loginByDevice(home, server)
    const ok = await runMairu(home, ["credential-process", "local", "demo"])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout).Version).toBe(1)
  })

  it("makes refresh fail with the login command when the refresh token is revoked", async () => {
    await server.revoke()
    const result = await runMairu(home, ["refresh", "local"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("refused to refresh")
    expect(result.stderr).toContain("mairu login local")
  })
})
