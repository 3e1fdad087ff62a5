import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { RefreshSession } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"
import { reportFailures } from "./Failure.js"
import { formatTime } from "./Format.js"

export const refreshCommand = Command.make(
  "refresh",
  { server: Args.text({ name: "SERVER" }).pipe(Args.withDescription("Server id or url")) },
  ({ server: name }) =>
    Effect.gen(function*() {
      const session = yield* (yield* AgentClient).call(new RefreshSession({ server: name }))
      yield* (yield* Terminal).message(
        `Refreshed the session with ${session.serverId}; valid until ${formatTime(session.expiresAt, false)}.`
      )
    }).pipe(reportFailures)
).pipe(Command.withDescription("Refresh a session now with its refresh token."))
