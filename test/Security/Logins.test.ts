import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest"
import { withPage } from "../support/browser.js"
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
import { writeServerConfig } from "../support/servers.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

const asOther = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

/** Runs `script` (node) as another local user (nobody) and returns what it printed. */
const asOtherUser = (script: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(asOther[0]!, [...asOther.slice(1), process.execPath, "-e", script], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.stderr.on("data", (d: Buffer) => (err += d.toString()))
    child.once("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`as nobody: exit ${code}: ${err}`))))
  })

/** A plain GET from another local user: status, Location and body. */
const otherUserGets = async (url: string) =>
  JSON.parse(
    await asOtherUser(`
      require("node:http").get(${JSON.stringify(url)}, (res) => {
        let body = ""
        res.on("data", (d) => (body += d))
        res.on("end", () => process.stdout.write(JSON.stringify({ status: res.statusCode, location: res.headers.location ?? null, body })))
      })`)
  ) as { status: number; location: string | null; body: string }

const SHORT_URL = /http:\/\/(?:127\.0\.0\.1|localhost):\d+\/auth\/[A-Za-z0-9_-]+/

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal({ login: false }))
})
afterAll(() => tearDownLocal({ server, home }))

describe("logins against other local users", () => {
  it("the short URL works once, and only the browser that opened it can finish the login", async () => {
    const child = startMairu(home, ["login", "local"])
    child.stdin.end()
    const done = collect(child)
    onTestFinished(() => void child.kill("SIGKILL"))
    const [shortUrl] = await waitForStderr(child, SHORT_URL)

    const message = await withPage(async (page) => {
      const requested: Array<string> = []
      page.on("request", (request) => requested.push(request.url()))
      await page.goto(shortUrl!)
      expect(page.url().startsWith(server.url)).toBe(true)
      const authorize = new URL(requested.find((url) => url.startsWith(server.url) && url.includes("state="))!)
      const state = authorize.searchParams.get("state")!
      const redirectUri = authorize.searchParams.get("redirect_uri")!

      // Another user who read the short URL (on the browser opener's command line) opens it.
      const reused = await otherUserGets(shortUrl!)
      expect(reused.status).toBe(409)
      expect(reused.location).toBeNull()
      expect(reused.body).toContain("Login already in progress")
      expect(reused.body).not.toContain(state)

      // Even knowing the state, a callback from anywhere but this browser is refused.
      const forged = await otherUserGets(`${redirectUri}?code=attacker-code&state=${encodeURIComponent(state)}`)
      expect(forged.status).toBe(403)
      expect(forged.body).toContain("started in another browser")

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
      }
      child.kill("SIGTERM")
      await done
      // Wait for the agent to let the port go (the login is cancelled once nobody waits).
      await runMairu(fresh, ["kill-agent"])

      // Another user takes [::1] at that port first.
      const squatter = spawn(asOther[0]!, [
        ...asOther.slice(1),
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
