import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { type MairuHome, makeHome, runMairu } from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome
let project: string

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
  project = path.join(home.root, "project")
  fs.mkdirSync(project)
  fs.writeFileSync(path.join(project, ".mairu.json"), JSON.stringify({ server: "local", role: "demo" }))
})
afterAll(() => tearDownLocal({ server, home }))

describe("status and JSON output", () => {
  it("reports a healthy setup as JSON and exits 0", async () => {
    const digest = (await runMairu(home, ["exec", "auto", "true"], { cwd: project })).stderr.match(
      /--confirm-trust (\S+)/
    )![1]!
    expect((await runMairu(home, ["exec", "--confirm-trust", digest, "auto", "true"], { cwd: project })).code).toBe(0)
    const result = await runMairu(home, ["status", "--json"], { cwd: project })
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({
      agent: { running: true, socket: home.socketPath, version: "0.1.0" },
      servers: [{ id: "local", url: server.url, kind: "mairu_api", logged_in: true, refreshable: true }],
      auto: { path: path.join(project, ".mairu.json"), server: "local", role: "demo", trusted: true },
      problems: []
    })
    expect(report.agent.pid).toBeGreaterThan(0)
    const text = await runMairu(home, ["status"], { cwd: project })
    expect(text.stdout).toContain("agent: running, version 0.1.0")
    expect(text.stdout).toContain("problems: none")
  })

  it("reports a broken setup and exits 1", async () => {
    const dir = path.join(home.configDir, "mairu", "servers.d")
    fs.writeFileSync(path.join(dir, "broken.json"), "{")
    fs.copyFileSync(path.join(dir, "local.json"), path.join(dir, "local-copy.json"))
    fs.writeFileSync(path.join(project, ".mairu.json"), JSON.stringify({ server: "elsewhere", role: "demo" }))
    try {
      const result = await runMairu(home, ["status", "--json"], { cwd: project })
      expect(result.code).toBe(1)
      const report = JSON.parse(result.stdout)
      const problems = report.problems.join("\n")
      expect(problems).toContain("skipped server file")
      expect(problems).toContain("server id \"local\" is defined 2 times")
      expect(problems).toContain("is not trusted yet")
      expect(problems).toContain("names server \"elsewhere\", which is not configured")
      expect(report.auto.trusted).toBe(false)
    } finally {
      fs.rmSync(path.join(dir, "broken.json"))
      fs.rmSync(path.join(dir, "local-copy.json"))
    }
  })

  it("reports no agent without starting one", async () => {
    const fresh = makeHome()
    try {
      const result = await runMairu(fresh, ["status", "--json"])
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toMatchObject({
        agent: { running: false, version: null },
        servers: [],
        auto: null
      })
      expect(fs.existsSync(fresh.socketPath)).toBe(false)
    } finally {
      fs.rmSync(fresh.root, { recursive: true, force: true })
    }
  })

  it("lists sessions and roles as JSON", async () => {
    const sessions = JSON.parse((await runMairu(home, ["list-sessions", "--json"])).stdout)
    expect(sessions.sessions).toEqual([
      expect.objectContaining({ id: 0, server_id: "local", server_url: server.url, refreshable: true })
    ])
    expect(sessions.sessions[0].expires_at).toMatch(/Z$/)
    const roles = JSON.parse((await runMairu(home, ["list-roles", "--json"])).stdout)
    expect(roles.roles).toContainEqual({ server_id: "local", role: "demo", description: "The demo role" })
    expect(roles.problems).toEqual([])
  })
})
