import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { VERSION } from "../../src/Version.js"
import { autoConfigAt } from "../support/autoConfigs.js"
import { answering, runCli } from "../support/cli.js"
import { mairuApiServer } from "../support/servers.js"

const local = mairuApiServer("local")
const summary = { id: "local", url: local.url, kind: "mairu_api", file: local.path } as const
const session = {
  id: 0,
  serverId: "local",
  serverUrl: local.url,
  expiresAt: new Date("2030-01-01T00:00:00Z"),
  renewsAt: new Date("2029-12-31T23:00:00Z")
}
const hello = {
  version: VERSION,
  protocol: 1,
  pid: 4242,
  startedAt: new Date(0),
  hardening: { coreDumpsOff: true, debuggersBlocked: true, inspectorClosed: true },
  audit: { entries: 0, file: undefined, problem: undefined }
}
const project = autoConfigAt("/work/project/.mairu.json", { server: "local", role: "demo" })

/** A running agent with the server `local` and a session for it. */
const healthyAgent = answering({
  Hello: () => Effect.succeed(hello),
  ListSessions: () => Effect.succeed([session]),
  ListServers: () => Effect.succeed({ serversDir: "/agent/servers.d", servers: [summary], problems: [] })
})

const json = (products: ReadonlyArray<string>) => JSON.parse(products.join(""))

describe("status", () => {
  it.effect("reports a healthy setup as JSON and as text, and exits 0", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("42 seconds")
      const options = { agent: healthyAgent, servers: [local], auto: project, trusted: new Set([project.digest]) }
      const run = yield* runCli(["status", "--json"], options)
      expect(run.messages).toEqual([])
      expect(run.code).toBe(0)
      expect(json(run.products)).toEqual({
        version: VERSION,
        agent: {
          running: true,
          socket: "/home/test/.local/state/mairu/run/mairu-agent.sock",
          version: VERSION,
          pid: 4242,
          uptime_seconds: 42,
          hardening: { core_dumps_off: true, debuggers_blocked: true, inspector_closed: true, problem: null },
          audit: { entries: 0, file: null, problem: null },
          servers_dir: "/agent/servers.d"
        },
        platform: { name: "Linux", arch: process.arch, weaker: [] },
        servers_dir: "/agent/servers.d",
        servers: [{
          id: "local",
          url: local.url,
          file: local.path,
          kind: "mairu_api",
          source: "agent",
          logged_in: true,
          expires_at: "2030-01-01T00:00:00Z",
          refreshable: true
        }],
        auto: { path: "/work/project/.mairu.json", server: "local", role: "demo", trusted: true },
        problems: []
      })
      const text = yield* runCli(["status"], options)
      expect(text.code).toBe(0)
      expect(text.products.join("")).toContain(`agent: running, version ${VERSION}, pid 4242, up 42 s, at `)
      expect(text.products.join("")).toContain("  local (Mairu API, local.json): logged in until ")
      expect(text.products.join("")).toContain(
        "auto role: server local, role demo (/work/project/.mairu.json, trusted)"
      )
      expect(text.products.join("")).toMatch(/problems: none\n$/)
    }))

  it.effect("reports every problem of a broken setup, and exits 1", () =>
    Effect.gen(function*() {
      const twin = { ...summary, file: "/agent/servers.d/local-copy.json" }
      const elsewhere = autoConfigAt("/work/project/.mairu.json", { server: "elsewhere", role: "demo" })
      const run = yield* runCli(["status", "--json"], {
        agent: answering({
          Hello: () => Effect.succeed(hello),
          ListSessions: () => Effect.succeed([]),
          ListServers: () =>
            Effect.succeed({
              serversDir: "/agent/servers.d",
              servers: [summary, twin],
              problems: ["warning: skipped server file /agent/servers.d/broken.json: not valid JSON"]
            })
        }),
        problems: [{ path: "/home/test/.config/mairu/servers.d/mine.json", reason: "not valid JSON" }],
        auto: elsewhere
      })
      expect(run.code).toBe(1)
      const report = json(run.products)
      expect(report.problems).toEqual([
        "warning: skipped server file /home/test/.config/mairu/servers.d/mine.json: not valid JSON",
        "warning: skipped server file /agent/servers.d/broken.json: not valid JSON",
        "server id \"local\" is defined 2 times in /agent/servers.d; give each file its own \"id\"",
        "/work/project/.mairu.json is not trusted yet; run mairu exec auto … here to review and trust it",
        "/work/project/.mairu.json names server \"elsewhere\", which is not configured"
      ])
      expect(report.auto.trusted).toBe(false)
      const text = yield* runCli(["status"], { problems: [{ path: "/x/y.json", reason: "bad" }], running: false })
      expect(text.code).toBe(1)
      expect(text.products.join("")).toMatch(/problems:\n {2}- warning: skipped server file \/x\/y.json: bad\n$/)
    }))

  it.effect("says why a .mairu.json is not used", () =>
    Effect.gen(function*() {
      const { AutoConfigUnusable } = yield* Effect.promise(() => import("../../src/Services/AutoConfigs.js"))
      const run = yield* runCli(["status", "--json"], {
        running: false,
        auto: new AutoConfigUnusable({
          path: "/p/.mairu.json",
          problem: { _tag: "NotValid", issues: ["role: is missing"] }
        })
      })
      expect(run.code).toBe(1)
      expect(json(run.products).problems).toEqual(["/p/.mairu.json is not a valid .mairu.json: role: is missing"])
    }))

  it.effect("reports no agent without starting one, and this machine's servers", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["status", "--json"], { running: false, servers: [local] })
      expect(run.code).toBe(0)
      expect(run.requests).toEqual([])
      expect(json(run.products)).toMatchObject({
        agent: { running: false, version: null, pid: null, uptime_seconds: null, servers_dir: null },
        servers_dir: "/home/test/.config/mairu/servers.d",
        servers: [{ id: "local", source: "local", logged_in: false, expires_at: null, refreshable: false }],
        auto: null,
        problems: []
      })
      const text = yield* runCli(["status"], { running: false, servers: [local] })
      expect(text.products.join("")).toContain("agent: not running (it starts when needed), at ")
      expect(text.products.join("")).toContain("  local (Mairu API, local.json): not logged in (mairu login local)")
    }))
})

describe("list-sessions and list-roles --json", () => {
  it.effect("print the sessions and the roles with stable field names", () =>
    Effect.gen(function*() {
      const sessions = yield* runCli(["list-sessions", "--json"], { agent: healthyAgent })
      expect(json(sessions.products)).toEqual({
        sessions: [{
          id: 0,
          server_id: "local",
          server_url: local.url,
          expires_at: "2030-01-01T00:00:00Z",
          renews_at: "2029-12-31T23:00:00Z",
          refreshable: true
        }]
      })
      const roles = yield* runCli(["list-roles", "--json"], {
        agent: answering({
          ListServers: () => Effect.succeed({ serversDir: "/agent/servers.d", servers: [summary], problems: [] }),
          ListSessions: () => Effect.succeed([session]),
          ListRoles: () => Effect.succeed([{ name: "demo", description: "The demo role" }])
        })
      })
      expect(json(roles.products)).toMatchObject({
        roles: [{ server_id: "local", role: "demo", description: "The demo role" }],
        problems: []
      })
    }))
})
