import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { autoConfigAt } from "../support/autoConfigs.js"
import { answering, fakeSession, runCli } from "../support/cli.js"
import { mairuApiServer } from "../support/servers.js"

const ROLE = "123456789012/Developer"
const local = mairuApiServer("local")
const session = fakeSession(local)
const withSession = answering({ ListSessions: () => Effect.succeed([session]) })
const output = (run: { readonly products: ReadonlyArray<string> }) => run.products.join("")

describe("show", () => {
  it.effect("prints {\"auto\": null} without a .mairu.json; -f exits 1, -q prints nothing", () =>
    Effect.gen(function*() {
      const nothing = "{\n  \"auto\": null\n}\n"
      expect(yield* runCli(["show"])).toMatchObject({ code: 0, products: [nothing] })
      expect(yield* runCli(["show", "-f"])).toMatchObject({ code: 1, products: [nothing] })
      expect(yield* runCli(["show", "--fail-when-missing-auto", "-q"])).toMatchObject({ code: 1, products: [] })
      expect(yield* runCli(["show", "--quiet"])).toMatchObject({ code: 0, products: [] })
    }))

  it.effect("prints the original's keys first, in its order and shape, and the trust once given", () =>
    Effect.gen(function*() {
      const auto = autoConfigAt("/work/project/.mairu.json", {
        role: ROLE,
        server: "local",
        assume_role: { external_id: "x", role_arn: "arn:aws:iam::210987654321:role/Deploy", duration_seconds: 900 }
      })
      const options = { agent: withSession, servers: [local], auto }
      const untrusted = yield* runCli(["show", "-f"], options)
      expect(untrusted.code).toBe(0)
      expect(output(untrusted)).toBe(
        JSON.stringify(
          {
            auto: {
              server: "local",
              role: ROLE,
              mode: null,
              assume_role: {
                role_arn: "arn:aws:iam::210987654321:role/Deploy",
                duration_seconds: 900,
                external_id: "x"
              }
            },
            auto_source: "/work/project/.mairu.json",
            auto_trusted: false,
            auto_logged_in: true,
            digest: auto.digest,
            server: { id: "local", url: local.url }
          },
          null,
          2
        ) + "\n"
      )
      const trusted = yield* runCli(["show"], { ...options, trusted: new Set([auto.digest]) })
      expect(JSON.parse(output(trusted)).auto_trusted).toBe(true)
    }))

  it.effect("says not logged in without an agent, and starts none: this machine's servers name the server", () =>
    Effect.gen(function*() {
      const auto = autoConfigAt("/work/.mairu.json", { server: "local", role: "demo", mode: "static", region: "x-1" })
      const run = yield* runCli(["show"], { running: false, servers: [local], auto })
      expect(run.code).toBe(0)
      const parsed = JSON.parse(output(run))
      expect(parsed.auto).toEqual({ server: "local", role: "demo", mode: "static", region: "x-1" })
      expect([parsed.auto_trusted, parsed.auto_logged_in, parsed.server]).toEqual([false, false, {
        id: "local",
        url: local.url
      }])
      expect(run.requests).toEqual([])
    }))

  it.effect("says why the file's server is not found", () =>
    Effect.gen(function*() {
      const auto = autoConfigAt("/work/.mairu.json", { server: "elsewhere", role: "demo" })
      const run = yield* runCli(["show"], { running: false, servers: [local], auto })
      expect(run.code).toBe(0)
      expect(JSON.parse(output(run))).toMatchObject({
        server: null,
        server_error: "no server \"elsewhere\" is configured in /config/mairu/servers.d (configured: local)"
      })
    }))
})
