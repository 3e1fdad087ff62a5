import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { approveInBrowser } from "../support/browser.js"
import type { DevServer } from "../support/devServer.js"
import { collect, type MairuHome, runMairu, startMairu, waitForStderr } from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal({ login: false }))
})
afterAll(() => tearDownLocal({ server, home }))

describe("login by code grant in a real browser", () => {
  it("opens the short local URL, approves, and leaves the session in the agent", async () => {
    const child = startMairu(home, ["login", "local"])
    child.stdin.end()
    const done = collect(child)
    const [shortUrl] = await waitForStderr(child, /http:\/\/127\.0\.0\.1:\d+\/auth\/[A-Za-z0-9_-]+/)

    const message = await approveInBrowser(shortUrl!, server.url, /\/oauth2callback/)
    expect(message).toContain("You can close this window")

    const result = await done
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("Logged in to local")
    expect((await server.stats()).token.authorization_code).toBe(1)

    const sessions = await runMairu(home, ["list-sessions"])
    expect(sessions.stdout).toMatch(/^0\. local: http:\/\/127\.0\.0\.1:\d+\/ \[renews after /)
    const creds = await runMairu(home, ["credential-process", "local", "demo"])
    expect(creds.code).toBe(0)
  })
})
