import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Unauthenticated, Unknown } from "../../src/Schemas/AgentErrors.js"
import type { ServerSummary } from "../../src/Schemas/AgentProtocol.js"
import { answering, runCli } from "../support/cli.js"

/** The original Mairu's list-roles: formats, order, and what is said about servers without a session. */

const URL = "https://cred.example/"
const summary = (id: string): ServerSummary => ({ id, url: URL, kind: "mairu_api", file: `/agent/${id}.json` })
const session = (id: number, serverId: string) => ({
  id,
  serverId,
  serverUrl: URL,
  expiresAt: new Date("2030-01-01T00:00:00Z"),
  renewsAt: undefined
})
const demoRoles = [
  ["123456789012/Developer", "Develop the demo application"],
  ["123456789012/ReadOnly", "Look, do not touch"],
  ["demo", "The demo role"]
] as const

/** The agent's servers: `local` logged in first, then `beta`; `aaa-other` sorts first but has no session. */
const agent = (
  listRoles: (
    server: string
  ) => Effect.Effect<ReadonlyArray<{ name: string; description: string }>, Unauthenticated | Unknown>
) =>
  answering({
    ListServers: () =>
      Effect.succeed({
        serversDir: "/agent/servers.d",
        servers: [summary("local"), summary("beta"), summary("aaa-other")],
        problems: []
      }),
    ListSessions: () => Effect.succeed([session(0, "local"), session(1, "beta")]),
    ListRoles: ({ server }) => listRoles(server),
    ResolveServer: ({ server }) => Effect.succeed(summary(server))
  })

const roles = agent((server) =>
  server === "aaa-other"
    ? Effect.fail(new Unauthenticated({ serverId: server, message: `not logged in to ${server}` }))
    : Effect.succeed(demoRoles.map(([name, description]) => ({ name, description })))
)
const output = (run: { readonly products: ReadonlyArray<string> }) => run.products.join("")

describe("list-roles", () => {
  it.effect("prints text by default: logged-in servers in login order, then the others by id, roles padded", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["list-roles"], { agent: roles })
      expect(run.code).toBe(0)
      const lines = demoRoles.map(([name, description]) => `    ${name.padEnd(22)}  ${description}\n`).join("")
      expect(output(run)).toBe(`local\n${lines}\nbeta\n${lines}\naaa-other\n    not logged in\n\n`)
      expect(run.messages).toEqual(["aaa-other: not logged in (mairu login aaa-other)"])
      expect(output(yield* runCli(["list-roles", "-o", "text"], { agent: roles }))).toBe(output(run))
    }))

  it.effect("prints one padded line per role with -o oneline, leaving out servers without a session", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["list-roles", "-o", "oneline"], { agent: roles })
      expect(run.code).toBe(0)
      const lines = (id: string) =>
        demoRoles.map(([name, description]) => `${id.padEnd(9)}  ${name.padEnd(22)}  ${description}\n`)
      expect(output(run)).toBe([...lines("local"), ...lines("beta")].join(""))
    }))

  it.effect("prints the original's JSON with -o json and --json, its keys first", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["list-roles", "--output", "json"], { agent: roles })
      expect(run.code).toBe(0)
      const listed = demoRoles.map(([name, description]) => ({ name, description }))
      const parsed = JSON.parse(output(run))
      expect(Object.keys(parsed)).toEqual(["servers", "roles", "problems"])
      expect(parsed.servers).toEqual([
        { server_id: "local", server_url: URL, logged_in: true, roles: listed },
        { server_id: "beta", server_url: URL, logged_in: true, roles: listed },
        { server_id: "aaa-other", server_url: URL, logged_in: false, roles: [] }
      ])
      expect(Object.keys(parsed.servers[0])).toEqual(["server_id", "server_url", "logged_in", "roles"])
      expect(output(run)).toBe(JSON.stringify(parsed, null, 2) + "\n")
      // Not logged in is a fact of the listing, not a message, in JSON.
      expect(run.messages).toEqual([])
      expect(output(yield* runCli(["list-roles", "--json"], { agent: roles }))).toBe(output(run))
      const both = yield* runCli(["list-roles", "--json", "-o", "oneline"], { agent: roles })
      expect([both.code, both.messages]).toEqual([1, ["--json is -o json; give one output format"]])
    }))

  it.effect("lists one server with --server S or SERVER, and refuses two different ones", () =>
    Effect.gen(function*() {
      const byOption = yield* runCli(["list-roles", "--server", "beta", "-o", "json"], { agent: roles })
      expect(byOption.code).toBe(0)
      expect(JSON.parse(output(byOption)).servers.map((s: { server_id: string }) => s.server_id)).toEqual(["beta"])
      const byArg = yield* runCli(["list-roles", "-o", "oneline", "beta"], { agent: roles })
      expect(output(byArg)).toBe(
        demoRoles.map(([name, description]) => `beta  ${name.padEnd(22)}  ${description}\n`).join("")
      )
      const both = yield* runCli(["list-roles", "--server", "beta", "local"], { agent: roles })
      expect(both.code).toBe(1)
      expect(both.messages).toEqual(["two servers given (beta and local); name one, as SERVER or --server"])
      expect(both.requests).toEqual([])
    }))

  it.effect("exits 1 when a server cannot list its roles, naming it, and still lists the others", () =>
    Effect.gen(function*() {
      const failing = agent((server) =>
        server === "aaa-other"
          ? Effect.fail(new Unauthenticated({ serverId: server, message: `not logged in to ${server}` }))
          : Effect.fail(new Unknown({ message: `${URL} answered 500` }))
      )
      const run = yield* runCli(["list-roles", "-o", "json"], { agent: failing })
      expect(run.code).toBe(1)
      const parsed = JSON.parse(output(run))
      expect(parsed.servers).toEqual([{ server_id: "aaa-other", server_url: URL, logged_in: false, roles: [] }])
      expect(parsed.problems).toEqual([
        { server_id: "local", kind: "Unknown", message: `${URL} answered 500` },
        { server_id: "beta", kind: "Unknown", message: `${URL} answered 500` },
        {
          server_id: "aaa-other",
          kind: "Unauthenticated",
          message: "not logged in to aaa-other. Log in with: mairu login aaa-other"
        }
      ])
      expect(run.messages).toEqual([`local: ${URL} answered 500`, `beta: ${URL} answered 500`])
    }))

  it.effect("fails for a named server without a session, and says how to log in", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["list-roles", "--server", "aaa-other"], { agent: roles })
      expect(run.code).toBe(1)
      expect(output(run)).toBe("aaa-other\n    not logged in\n\n")
      expect(run.messages).toEqual(["aaa-other: not logged in to aaa-other. Log in with: mairu login aaa-other"])
    }))

  it.effect("says what to do when the agent has no servers", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["list-roles"], {
        agent: answering({
          ListServers: () => Effect.succeed({ serversDir: "/agent/servers.d", servers: [], problems: [] }),
          ListSessions: () => Effect.succeed([])
        })
      })
      expect(run.code).toBe(0)
      expect(run.messages).toEqual([
        "The agent has no servers: add a file to its /agent/servers.d or run: mairu setup-sso"
      ])
    }))
})
