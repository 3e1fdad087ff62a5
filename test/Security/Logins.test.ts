import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest"
import { approveInBrowser, withPage } from "../support/browser.js"
import type { DevServer } from "../support/devServer.js"
import {
  cleanupHome,
  collect,
  type MairuHome,
  makeHome,
  runMairu,
  startMairu,
  waitForStderr
} from "../support/mairu.js"
import { AS_OTHER_USER, otherUserGets, otherUserHolds } from "../support/otherUser.js"
import { writeServerConfig } from "../support/servers.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

const SHORT_URL = /http:\/\/(?:127\.0\.0\.1|localhost):\d+\/auth\/[A-Za-z0-9_-]+/

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal({ login: false }))
})
afterAll(() => tearDownLocal({ server, home }))

describe("logins against other local users", () => {
  it("another local user gets 403 from the short URL and the callback and learns nothing; the user's browser then logs in", async () => {
    const child = startMairu(home, ["login", "local"])
    child.stdin.end()
    const done = collect(child)
    onTestFinished(() => void child.kill("SIGKILL"))
    const [shortUrl] = await waitForStderr(child, SHORT_URL)
    const callbackUrl = new URL("/oauth2callback", shortUrl!).toString()

    // Another user who read the short URL (on the browser opener's command line) opens it first.
    const stolen = await otherUserGets(shortUrl!)
    expect(stolen.status).toBe(403)
    expect(stolen.location).toBeNull()
    expect(stolen.cookie).toBeNull()
    expect(stolen.body).toContain("This login belongs to another user.")
    expect(stolen.body).not.toContain(server.url)
    expect(stolen.body).not.toContain("state")
    // ... and tries the callback with a code of their own.
    const forged = await otherUserGets(`${callbackUrl}?code=attacker-code&state=guess`)
    expect(forged.status).toBe(403)
    expect(forged.body).toContain("This login belongs to another user.")

    const message = await withPage(async (page) => {
      const requested: Array<string> = []
      page.on("request", (request) => requested.push(request.url()))
      await page.goto(shortUrl!)
      expect(page.url().startsWith(server.url)).toBe(true)
      const authorize = new URL(requested.find((url) => url.startsWith(server.url) && url.includes("state="))!)
      const state = authorize.searchParams.get("state")!

      // The short URL works once, for the user too: opened again, it only says the login is in progress.
      const reused = await fetch(shortUrl!, { redirect: "manual" })
      expect(reused.status).toBe(409)
      expect(reused.headers.get("location")).toBeNull()
      expect(await reused.text()).toContain("Login already in progress")
      // Even knowing the state, the other user is refused; and so is any client but this browser.
      const withState = `${callbackUrl}?code=attacker-code&state=${encodeURIComponent(state)}`
      expect((await otherUserGets(withState)).status).toBe(403)
      const elsewhere = await fetch(withState)
      expect(elsewhere.status).toBe(403)
      expect(await elsewhere.text()).toContain("started in another browser")

      await page.click("#approve")
      await page.waitForURL(/\/oauth2callback/)
      return page.textContent("#message")
    })
    expect(message).toContain("You can close this window")
    const result = await done
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("Logged in to local")
    expect((await server.stats()).token.authorization_code).toBe(1)
  })

  it("another local user cannot hold the callback's connections: it keeps at most 8, the login goes on", async () => {
    const child = startMairu(home, ["login", "--no-browser", "local"])
    child.stdin.end()
    const done = collect(child)
    onTestFinished(() => void child.kill("SIGKILL"))
    const [shortUrl] = await waitForStderr(child, SHORT_URL)
    const held = await otherUserHolds(Number(new URL(shortUrl!).port), 100, 8)
    try {
      expect(held.report.connected + held.report.closed).toBeGreaterThan(0)
      expect(held.report.connected - held.report.closed).toBeLessThanOrEqual(8)
      const message = await approveInBrowser(shortUrl!, server.url, /\/oauth2callback/)
      expect(message).toContain("You can close this window")
    } finally {
      await held.release()
    }
    expect((await done).code).toBe(0)
  })

  it("cancels a login whose client was interrupted within 10 s, and closes its callback", async () => {
    const child = startMairu(home, ["login", "--no-browser", "local"])
    child.stdin.end()
    const done = collect(child)
    const [shortUrl] = await waitForStderr(child, SHORT_URL)
    child.kill("SIGKILL")
    await done

    const log = path.join(home.stateDir, "mairu", "log", "agent.log")
    const cancelled = "the login to local was cancelled: no client waits for it any more"
    // Waits a little longer than the promised 10 s, to leave the busy machine some slack.
    for (
      let waited = 0;
      waited < 15_000 && !(fs.existsSync(log) && fs.readFileSync(log, "utf8").includes(cancelled));
      waited += 250
    ) {
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(fs.readFileSync(log, "utf8")).toContain(cancelled)
    await expect(fetch(shortUrl!)).rejects.toThrow()

    // A new login starts afresh instead of joining the dead one.
    const next = startMairu(home, ["login", "--no-browser", "local"])
    next.stdin.end()
    const nextDone = collect(next)
    const [nextUrl] = await waitForStderr(next, SHORT_URL)
    expect(nextUrl).not.toBe(shortUrl)
    next.kill("SIGTERM")
    expect((await nextDone).stderr).not.toContain("already in progress")
  })

  it("with use_localhost, listens on 127.0.0.1 and [::1]; another user holding [::1] makes it fail clearly", async () => {
    const port = 20000 + Math.floor(Math.random() * 20000)
    const fresh = makeHome({ MAIRU_LOCAL_PORT: String(port) })
    try {
      writeServerConfig(fresh.configDir, server, { oauth: { code_grant: { use_localhost: true } } })
      const child = startMairu(fresh, ["login", "--no-browser", "local"])
      child.stdin.end()
      const done = collect(child)
      await waitForStderr(child, SHORT_URL)
      for (const host of ["127.0.0.1", "[::1]"]) {
        const answer = await fetch(`http://${host}:${port}/oauth2callback?state=wrong`)
        expect(answer.status).toBe(400)
        expect(await answer.text()).toContain("state mismatch")
        // Another user learns not even that.
        expect((await otherUserGets(`http://${host}:${port}/oauth2callback?state=wrong`)).status).toBe(403)
      }
      child.kill("SIGTERM")
      await done
      // Wait for the agent to let the port go (the login is cancelled once nobody waits).
      await runMairu(fresh, ["kill-agent"])

      // Another user takes [::1] at that port first.
      const squatter = spawn(AS_OTHER_USER[0]!, [
        ...AS_OTHER_USER.slice(1),
        process.execPath,
        "-e",
        `
        require("node:http").createServer((q, s) => s.end("phished")).listen({ port: ${port}, host: "::1", ipv6Only: true },
          () => process.stdout.write("ready\\n"))`
      ], { stdio: ["ignore", "pipe", "inherit"] })
      try {
        await new Promise((resolve) => squatter.stdout.once("data", resolve))
        const refused = await runMairu(fresh, ["login", "--no-browser", "local"])
        expect(refused.code).toBe(1)
        expect(refused.stderr).toContain(`cannot listen for the login callback on [::1]:${port} (EADDRINUSE)`)
        expect(refused.stderr).not.toMatch(SHORT_URL)
      } finally {
        squatter.kill()
      }
    } finally {
      await cleanupHome(fresh)
    }
  })
})
