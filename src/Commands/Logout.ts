import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { Logout } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"

export const logoutCommand = Command.make(
  "logout",
  {
    server: Args.text({ name: "SERVER" }).pipe(
      Args.withDescription("Server id or url, as the agent's servers.d names it")
    )
  },
  ({ server: name }) =>
    Effect.gen(function*() {
      const agent = yield* AgentClient
      const terminal = yield* Terminal
      // With no agent running there is no session to forget; do not start one for that.
      if (!(yield* agent.ping)) {
        yield* terminal.message("No agent is running, so no session is held; nothing to log out of.")
        return
      }
      const result = yield* agent.call(new Logout({ server: name }))
      if (!result.hadSession) {
        yield* terminal.message(`Not logged in to ${result.serverId}; nothing to forget.`)
        return
      }
      const revocation = {
        revoked: "the server revoked its refresh token",
        "not-supported": "its server offers no token revocation (no revocation_endpoint), so its tokens stay valid " +
          "at the server until they expire",
        "no-refresh-token": "it had no refresh token to revoke",
        failed:
          `revoking its refresh token failed (${result.detail ?? "unknown error"}); it stays valid at the server ` +
          "until it expires",
        none: ""
      }[result.revocation]
      yield* terminal.message(
        `Logged out of ${result.serverId}: the agent forgot its session and cached credentials; ${revocation}.`
      )
    })
).pipe(
  Command.withDescription(
    "Forget a server's session and cached credentials in the agent (other servers are left alone), revoking its " +
      "refresh token where the server supports it. Running exec commands of that server are told."
  )
)
