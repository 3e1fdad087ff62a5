import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { writeRecordingBrowser } from "../support/browser.js"
import { type DevServer, startDevServer } from "../support/devServer.js"
import {
  agentRequests,
  cleanupHome,
  collect,
  type MairuHome,
  makeHome,
  runMairu,
  startMairu,
  untilAgentRequests,
  waitForStderr
} from "../support/mairu.js"
import { writeServerConfig } from "../support/servers.js"

let server: DevServer
let home: MairuHome
let record: string
let desktop: Record<string, string>
let browserScript: string
let browserRecord: string

beforeAll(async () => {
  server = await startDevServer()
  // Debug logging: the agent's log shows each request a login makes.
  home = makeHome({ MAIRU_AGENT_LOG: "debug" })
  writeServerConfig(home.configDir, server)
  // A fake xdg-open first on PATH records what it was asked to open.
  const bin = path.join(home.root, "bin")
  fs.mkdirSync(bin)
  record = path.join(home.root, "opened.txt")
  fs.writeFileSync(path.join(bin, "xdg-open"), `#!/bin/sh\necho "$1" >> ${record}\n`, { mode: 0o755 })
  desktop = { PATH: `${bin}:${home.env.PATH}`, DISPLAY: ":99" }
  // A browser for BROWSER that records each argv as one JSON line.
  browserRecord = path.join(home.root, "browser.jsonl")
  browserScript = path.join(bin, "record-browser")
  writeRecordingBrowser(browserScript, browserRecord)
})
afterAll(async () => {
  await cleanupHome(home)
  await server.stop()
})

/**
 * Starts a code-grant login, returns the short URL it printed and its stderr, then abandons it
 * once it asks the agent to complete the login (by then it has tried the browser, or not).
 */
const startLogin = async (env: Record<string, string>, args: Array<string> = []) => {
  const completions = agentRequests(home, "CompleteLogin")
  const child = startMairu(home, ["login", ...args, "local"], env)
  child.stdin.end()
  const done = collect(child)
  const [, url] = await waitForStderr(child, /(http:\/\/127\.0\.0\.1:\d+\/auth\/[A-Za-z0-9_-]+)/)
  await untilAgentRequests(home, "CompleteLogin", completions)
  child.kill("SIGTERM")
  const result = await done
  // The agent would hold the abandoned login, and the next attempt would join it.
  await runMairu(home, ["kill-agent"])
  expect(result.stderr).not.toContain("joining")
  return { url: url!, stderr: result.stderr }
}

const browserCalls = (): Array<Array<string>> =>
  fs.existsSync(browserRecord)
    ? fs.readFileSync(browserRecord, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Array<string>)
    : []

const opened = () => (fs.existsSync(record) ? fs.readFileSync(record, "utf8").trim().split("\n") : [])

describe("the browser opener", () => {
  it("opens the short login URL when a desktop is available", async () => {
    const { stderr, url } = await startLogin(desktop)
    expect(stderr).toContain("Opened it in your browser.")
    // The opener runs detached: wait until it has done its work.
    while (opened().length === 0) await new Promise((r) => setTimeout(r, 50))
    expect(opened()).toEqual([url])
  })

  it("never tries over SSH, nor with --no-browser or MAIRU_NO_BROWSER", async () => {
    fs.rmSync(record, { force: true })
    const overSsh = await startLogin({ ...desktop, SSH_CONNECTION: "10.0.0.1 50000 10.0.0.2 22" })
    const flagged = await startLogin(desktop, ["--no-browser"])
    const byEnv = await startLogin({ ...desktop, MAIRU_NO_BROWSER: "1" })
    for (const attempt of [overSsh, flagged, byEnv]) expect(attempt.stderr).not.toContain("Opened it in your browser.")
    expect(opened()).toEqual([])
  })

  it("does not try without a display", async () => {
    fs.rmSync(record, { force: true })
    const { stderr } = await startLogin({ PATH: desktop.PATH! })
    expect(stderr).not.toContain("Opened it in your browser.")
    expect(opened()).toEqual([])
  })
})

describe("BROWSER", () => {
  it("opens login pages with the BROWSER commands, over SSH and without a display too, before xdg-open", async () => {
    fs.rmSync(record, { force: true })
    fs.rmSync(browserRecord, { force: true })
    const browser = { ...desktop, BROWSER: `mairu-test-no-such-browser:${browserScript} --private "a b" %s --then=%%s` }
    const withDesktop = await startLogin(browser)
    const overSsh = await startLogin(
      { PATH: desktop.PATH!, BROWSER: browser.BROWSER, SSH_CONNECTION: "10.0.0.1 50000 10.0.0.2 22" }
    )
    for (const attempt of [withDesktop, overSsh]) expect(attempt.stderr).toContain("Opened it in your browser.")
    expect(browserCalls()).toEqual([
      ["--private", "a b", withDesktop.url, "--then=%s"],
      ["--private", "a b", overSsh.url, "--then=%s"]
    ])
    expect(opened()).toEqual([])
  })

  it("appends the URL when no %s is given, and MAIRU_NO_BROWSER or --no-browser still win", async () => {
    fs.rmSync(browserRecord, { force: true })
    const { stderr, url } = await startLogin({ PATH: desktop.PATH!, BROWSER: browserScript })
    expect(stderr).toContain("Opened it in your browser.")
    const byEnv = await startLogin({ PATH: desktop.PATH!, BROWSER: browserScript, MAIRU_NO_BROWSER: "1" })
    const flagged = await startLogin({ PATH: desktop.PATH!, BROWSER: browserScript }, ["--no-browser"])
    for (const attempt of [byEnv, flagged]) expect(attempt.stderr).not.toContain("Opened it in your browser.")
    expect(browserCalls()).toEqual([[url]])
  })

  it("says nothing was opened when every BROWSER command fails", async () => {
    const { stderr } = await startLogin({ ...desktop, BROWSER: "false:mairu-test-no-such-browser" })
    expect(stderr).toContain("To log in to local, open this URL in your browser:")
    expect(stderr).not.toContain("Opened it in your browser.")
    expect(opened()).toEqual([])
  })
})
