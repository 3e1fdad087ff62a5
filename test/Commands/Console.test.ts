import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { type MairuHome, runMairu } from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

describe("mairu console", () => {
  it("builds a sign-in URL through the federation endpoint that signs in as the role", async () => {
    const env = { MAIRU_FEDERATION_ENDPOINT: `${server.url}federation` }
    const result = await runMairu(home, ["console", "--print", "--server", "local", "123456789012/Developer"], { env })
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const url = new URL(result.stdout.trim())
    expect(`${url.origin}${url.pathname}`).toBe(`${server.url}federation`)
    expect(url.searchParams.get("Action")).toBe("login")
    expect(url.searchParams.get("Destination")).toBe("https://console.aws.amazon.com/")
    const page = await (await fetch(url)).text()
    expect(page).toContain("arn:aws:sts::123456789012:assumed-role/Developer/alice")
  })

  it("prints the URL when no browser can be opened, and uses the auto role once trusted", async () => {
    const project = path.join(home.root, "project")
    fs.mkdirSync(project, { recursive: true })
    fs.writeFileSync(path.join(project, ".mairu.json"), JSON.stringify({ server: "local", role: "demo" }))
    const env = { MAIRU_FEDERATION_ENDPOINT: `${server.url}federation` }
    const refused = await runMairu(home, ["console", "auto"], { env, cwd: project })
    expect(refused.code).toBe(1)
    const digest = refused.stderr.match(/mairu console --confirm-trust (\S+) auto/)![1]!
    const result = await runMairu(home, ["console", "--confirm-trust", digest, "auto"], { env, cwd: project })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("Open this URL within 15 minutes")
    const page = await (await fetch(result.stdout.trim())).text()
    expect(page).toContain("assumed-role/demo/alice")
  })
})
