import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { withPage } from "../support/browser.js"
import { type DevServer, writeServerConfig } from "../support/devServer.js"
import {
  cleanupHome,
  collect,
  type MairuHome,
  makeHome,
  runMairu,
  startMairu,
  waitForStderr
} from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  // Access tokens live 10 s, so the agent renews one half-way through its life, 5 s after it was issued.
  ;({ server, home } = await setUpLocal({ server: { accessTokenTtl: 10 }, login: false }))
})
afterAll(() => tearDownLocal({ server, home }))

describe("logins", () => {
  it("logs in by device grant through the server's verification page in a real browser", async () => {
    const child = startMairu(home, ["login", "--oauth-grant-type", "device_code", "local"])
    child.stdin.end()
    const done = collect(child)
    const [, verificationUrl, userCode] = await waitForStderr(child, /open (\S+)\n.*confirm the code: (\S+)/)
    expect(verificationUrl).toContain(`user_code=${userCode}`)
    const message = await withPage(async (page) => {
      await page.goto(verificationUrl!)
      await page.click("button[type=submit]")
      await page.click("#approve")
      await page.waitForSelector("#message")
      return page.textContent("#message")
    })
    expect(message).toContain("return to your terminal")
    const result = await done
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("Logged in to local")
    expect((await server.stats()).token.device_code).toBe(1)
  })

  it("renews an access token once it is due, and uses the renewed one as it is", async () => {
    const refreshes = async () => (await server.stats()).token.refresh_token ?? 0
    const before = await refreshes()
    // Waits for the state: the agent has renewed the token of the login above, which fell due.
    while ((await refreshes()) === before) await new Promise((r) => setTimeout(r, 100))
    const result = await runMairu(home, ["credential-process", "local", "demo"])
    expect(result.code).toBe(0)
    // The next renewal falls due 5 s later: this request used the renewed token without another.
    expect(await refreshes()).toBe(before + 1)
  })

  it("joins a login already in progress instead of starting another", async () => {
    const first = startMairu(home, ["login", "--oauth-grant-type", "device_code", "local"])
    first.stdin.end()
    const firstDone = collect(first)
    const [, code1] = await waitForStderr(first, /confirm the code: (\S+)/)
    const second = startMairu(home, ["login", "--oauth-grant-type", "device_code", "local"])
    second.stdin.end()
    const secondDone = collect(second)
    const [, code2] = await waitForStderr(second, /confirm the code: (\S+)/)
    expect(code2).toBe(code1)
    await server.approveDevice(code1!)
    const [r1, r2] = await Promise.all([firstDone, secondDone])
    expect(r1.code).toBe(0)
    expect(r2.code).toBe(0)
    expect(r2.stderr).toContain("already in progress; joining it")
    expect((await server.stats()).token.device_code).toBe(2)
  })

  it("uses MAIRU_LOCAL_PORT for the code grant's callback", async () => {
    const port = 20000 + Math.floor(Math.random() * 20000)
    const fresh = makeHome({ MAIRU_LOCAL_PORT: String(port) })
    try {
      writeServerConfig(fresh.configDir, server, { oauth: { code_grant: { use_localhost: true } } })
      const child = startMairu(fresh, ["login", "local"])
      child.stdin.end()
      const done = collect(child)
      const [shortUrl] = await waitForStderr(child, /http:\/\/localhost:\d+\/auth\/\S+/)
      expect(shortUrl).toContain(`http://localhost:${port}/auth/`)
      const redirect = await fetch(shortUrl!.replace("localhost", "127.0.0.1"), { redirect: "manual" })
      const location = new URL(redirect.headers.get("location")!)
      expect(location.searchParams.get("redirect_uri")).toBe(`http://localhost:${port}/oauth2callback`)
      expect(location.searchParams.get("code_challenge_method")).toBe("S256")
      expect(location.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/)
      child.kill("SIGTERM")
      await done
    } finally {
      await cleanupHome(fresh)
    }
  })
})
