import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Unauthenticated } from "../../src/Schemas/AgentErrors.js"
import { answering, runCli } from "../support/cli.js"

const URL = "https://cred.example/"
const renewing = (id: number, serverId: string) => ({
  id,
  serverId,
  serverUrl: URL,
  expiresAt: new Date("2030-01-01T12:00:00Z"),
  renewsAt: new Date("2030-01-01T11:00:00.750Z")
})
const sessions = [renewing(0, "local"), { ...renewing(1, "beta"), renewsAt: undefined }]

/** Runs `effect` with the process in time zone `tz` (Node reads TZ again when it changes). */
const inTimeZone = <A, E, R>(tz: string, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const before = process.env.TZ
      process.env.TZ = tz
      return before
    }),
    () => effect,
    (before) =>
      Effect.sync(() => {
        if (before === undefined) delete process.env.TZ
        else process.env.TZ = before
      })
  )

describe("list-sessions and refresh", () => {
  it.effect("number sessions in login order, with RFC 3339 times to the second, in UTC or local time", () =>
    Effect.gen(function*() {
      const agent = answering({ ListSessions: () => Effect.succeed(sessions) })
      const utc = yield* runCli(["list-sessions", "--utc"], { agent })
      expect(utc.code).toBe(0)
      expect(utc.products.join("")).toBe(
        `0. local: ${URL} [renews after 2030-01-01T11:00:00+00:00]\n1. beta: ${URL} [until 2030-01-01T12:00:00+00:00]\n`
      )
      const tokyo = yield* inTimeZone("Asia/Tokyo", runCli(["list-sessions"], { agent }))
      expect(tokyo.products.join("")).toBe(
        `0. local: ${URL} [renews after 2030-01-01T20:00:00+09:00]\n1. beta: ${URL} [until 2030-01-01T21:00:00+09:00]\n`
      )
    }))

  it.effect("says how to log in when there is no session", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["list-sessions"], { agent: answering({ ListSessions: () => Effect.succeed([]) }) })
      expect([run.code, run.products, run.messages]).toEqual([0, [], ["No sessions. Log in with: mairu login SERVER"]])
    }))

  it.effect("refresh asks the agent for the named server and prints the session's line, in UTC with --utc", () =>
    Effect.gen(function*() {
      const agent = answering({
        RefreshSession: ({ server }) =>
          server === "beta"
            ? Effect.succeed(renewing(1, "beta"))
            : Effect.fail(new Unauthenticated({ serverId: server, message: `not logged in to ${server}` }))
      })
      const run = yield* runCli(["refresh", "--utc", "beta"], { agent })
      expect(run.code).toBe(0)
      expect(run.requests).toEqual([{ _tag: "RefreshSession", server: "beta" }])
      expect(run.products.join("")).toBe(`1. beta: ${URL} [renews after 2030-01-01T11:00:00+00:00]\n`)
      const newYork = yield* inTimeZone("America/New_York", runCli(["refresh", "beta"], { agent }))
      expect(newYork.products.join("")).toBe(`1. beta: ${URL} [renews after 2030-01-01T06:00:00-05:00]\n`)
      const refused = yield* runCli(["refresh", "other"], { agent })
      expect([refused.code, refused.messages]).toEqual([1, ["not logged in to other. Log in with: mairu login other"]])
    }))
})
