import { it as effectIt } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { Unauthenticated } from "../../src/Schemas/AgentErrors.js"
import type { ServerConfig } from "../../src/Schemas/ServerConfig.js"
import { writeRecordingBrowser } from "../support/browser.js"
import { runCli } from "../support/cli.js"
import { type DevServer, startDevServer } from "../support/devServer.js"
import { type HostileServer, startHostileServer, writeHostileConfig } from "../support/hostileServer.js"
import { cleanupHome, type MairuHome, makeHome, runMairu } from "../support/mairu.js"
import { makeSsoHome, setUpSso } from "../support/session.js"

let server: HostileServer
let home: MairuHome
let browser: string
let opened: string

beforeAll(async () => {
  server = await startHostileServer()
  home = makeHome({ MAIRU_AGENT_LOG: "debug" })
  writeHostileConfig(home.configDir, server)
  // A browser for BROWSER that records each argv it was started with as one JSON line.
  opened = path.join(home.root, "browser.jsonl")
  browser = path.join(home.root, "record-browser")
  writeRecordingBrowser(browser, opened)
})
afterEach(() => fs.rmSync(opened, { force: true }))
afterAll(async () => {
  await cleanupHome(home)
  await server.stop()
})

const login = () =>
  runMairu(home, ["login", "--oauth-grant-type", "device_code", "hostile"], { env: { BROWSER: browser } })

describe("a server's page on the browser opener's command line", () => {
  it.each([
    {
      field: "verification_uri_complete",
      url: "--utility-cmd-prefix=/bin/sh -c id",
      reason: "starts with \"-\", as an option of the browser would"
    },
    { field: "verification_uri", url: "file:///etc/passwd", reason: "uses the scheme \"file\"" },
    { field: "verification_uri", url: "javascript:alert(document.cookie)", reason: "uses the scheme \"javascript\"" },
    {
      field: "verification_uri_complete",
      url: "http://idp.example/device",
      reason: "uses plain http to another machine"
    },
    {
      field: "verification_uri",
      url: " https://idp.example/device",
      reason: "holds blanks, control or invisible characters"
    }
  ])(
    "$field $url is refused as the server's fault: no browser starts, the URL is not shown",
    async ({ field, reason, url }) => {
      server.devicePages(
        field === "verification_uri"
          ? { verification_uri: url }
          : { verification_uri: "https://idp.example/device", verification_uri_complete: url }
      )
      const result = await login()
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`hostile sent a page to open (${field}) that ${reason}`)
      expect(result.stderr).toContain("This is a fault of hostile: tell its administrator")
      expect(result.stderr).not.toContain(url.trim())
      expect(result.stderr).not.toContain("confirm the code")
      expect(fs.existsSync(opened), "the browser opener was started").toBe(false)
    }
  )

  it("opens an https page, as the one argument after the BROWSER command", async () => {
    server.devicePages({
      verification_uri: "https://idp.example/device",
      verification_uri_complete: "https://idp.example/device?user_code=HOST-ILE"
    })
    const result = await login()
    expect(result.stderr).toContain("open https://idp.example/device?user_code=HOST-ILE")
    expect(result.code).toBe(0)
    expect(fs.readFileSync(opened, "utf8")).toBe(
      JSON.stringify(["https://idp.example/device?user_code=HOST-ILE"]) + "\n"
    )
  })
})

describe("an AWS IAM Identity Center's device page on the browser opener's command line", () => {
  let sso: DevServer
  let ssoHome: MairuHome
  beforeAll(async () => {
    sso = await startDevServer()
    ssoHome = makeSsoHome(sso)
    const setup = await setUpSso(ssoHome, sso)
    expect(setup.code).toBe(0)
  })
  afterAll(async () => {
    await cleanupHome(ssoHome)
    await sso.stop()
  })

  it("is refused as the server's fault: no browser starts, the URL is not shown", async () => {
    const url = "--utility-cmd-prefix=/bin/sh -c id"
    await sso.ssoDevicePages({ verificationUriComplete: url })
    const result = await runMairu(ssoHome, ["login", "--oauth-grant-type", "device_code", "contoso"], {
      env: { BROWSER: browser }
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("contoso sent a page to open (verificationUriComplete) that starts with \"-\"")
    expect(result.stderr).toContain("This is a fault of contoso: tell its administrator")
    expect(result.stderr).not.toContain(url)
    expect(fs.existsSync(opened), "the browser opener was started").toBe(false)
  })
})

const mairuApi: ServerConfig = {
  _tag: "MairuApi",
  id: "remote",
  url: "https://cred.example/",
  path: "/x/remote.json",
  oauth: {
    clientId: "c",
    clientSecret: undefined,
    tokenEndpoint: "https://cred.example/oauth/token",
    scope: [],
    deviceGrant: { deviceAuthorizationEndpoint: "https://cred.example/oauth/device" },
    codeGrant: undefined,
    defaultGrantType: "device_grant"
  }
}

describe("a login page from an agent that did not check it (another machine's, another version)", () => {
  effectIt.effect("is refused by the client too, before it is shown or opened", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["login", "remote"], {
        servers: [mairuApi],
        agent: (request) =>
          request._tag === "StartLogin"
            ? Effect.succeed({
              serverId: "remote",
              joined: false,
              challenge: {
                _tag: "DeviceGrant",
                handle: "h",
                userCode: "CODE",
                verificationUri: "https://cred.example/device",
                verificationUriComplete: "--utility-cmd-prefix=/bin/sh -c id",
                expiresAt: new Date()
              }
            })
            : Effect.fail(new Unauthenticated({ serverId: "remote", message: "not expected" }))
      })
      expect(Exit.isFailure(run.exit)).toBe(true)
      expect(run.messages.join("\n")).toContain(
        "remote sent a page to open (verification_uri_complete) that starts with \"-\""
      )
      expect(run.messages.join("\n")).not.toContain("--utility-cmd-prefix")
      expect(run.requests.map((request) => request._tag)).not.toContain("CompleteLogin")
    }))
})
