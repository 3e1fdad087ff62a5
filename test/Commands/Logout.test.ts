import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { answering, runCli } from "../support/cli.js"

describe("logout", () => {
  it.effect("starts no agent to forget nothing, and says what happened to the session and its tokens", () =>
    Effect.gen(function*() {
      const none = yield* runCli(["logout", "local"], { running: false })
      expect([none.code, none.requests]).toEqual([0, []])
      expect(none.messages).toEqual(["No agent is running, so no session is held; nothing to log out of."])
      const said = (
        revocation: "revoked" | "not-supported" | "no-refresh-token" | "failed" | "none",
        hadSession = true
      ) =>
        Effect.map(
          runCli(["logout", "local"], {
            agent: answering({
              Logout: () => Effect.succeed({ serverId: "local", hadSession, revocation, detail: "HTTP 500" })
            })
          }),
          (run) => run.messages
        )
      expect(yield* said("none", false)).toEqual(["Not logged in to local; nothing to forget."])
      expect(yield* said("revoked")).toEqual([
        "Logged out of local: the agent forgot its session and cached credentials; the server revoked its refresh token."
      ])
      expect(yield* said("failed")).toEqual([
        "Logged out of local: the agent forgot its session and cached credentials; revoking its refresh token failed " +
        "(HTTP 500); it stays valid at the server until it expires."
      ])
      expect((yield* said("not-supported"))[0]).toContain("offers no token revocation (no revocation_endpoint)")
      expect((yield* said("no-refresh-token"))[0]).toContain("it had no refresh token to revoke.")
    }))
})
