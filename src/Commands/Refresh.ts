import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { RefreshSession } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"
import { sessionLine } from "./ListSessions.js"

export const refreshCommand = Command.make(
  "refresh",
  {
    utc: Options.boolean("utc").pipe(Options.withDescription("Show times in UTC instead of local time")),
    server: Args.text({ name: "SERVER" }).pipe(Args.withDescription("Server id or url"))
  },
  ({ server: name, utc }) =>
    Effect.gen(function*() {
      const session = yield* (yield* AgentClient).call(new RefreshSession({ server: name }))
      yield* (yield* Terminal).product(sessionLine(session, utc) + "\n")
    })
).pipe(
  Command.withDescription("Refresh a session now with its refresh token; prints the session as list-sessions does.")
)
