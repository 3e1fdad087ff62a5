import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { formatRfc3339 } from "../Client/Format.js"
import { jsonOption, printJson, sessionJson } from "../Client/Json.js"
import { ListSessions } from "../Schemas/AgentProtocol.js"
import type { SessionInfo } from "../Schemas/Session.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"

/**
 * `ID. SERVER_ID: URL [until T]`, or `[renews after T]` when the agent refreshes the
 * session by itself; T is RFC 3339 to the second, in local time or UTC (the original Mairu's line).
 */
export const sessionLine = (session: SessionInfo, utc: boolean) =>
  `${session.id}. ${session.serverId}: ${session.serverUrl} ` +
  (session.renewsAt === undefined
    ? `[until ${formatRfc3339(session.expiresAt, utc)}]`
    : `[renews after ${formatRfc3339(session.renewsAt, utc)}]`)

export const listSessionsCommand = Command.make(
  "list-sessions",
  {
    utc: Options.boolean("utc").pipe(Options.withDescription("Show times in UTC instead of local time")),
    json: jsonOption
  },
  ({ json, utc }) =>
    Effect.gen(function*() {
      const sessions = yield* (yield* AgentClient).call(new ListSessions())
      const terminal = yield* Terminal
      if (json) return yield* terminal.product(printJson({ sessions: sessions.map(sessionJson) }))
      if (sessions.length === 0) {
        yield* terminal.message("No sessions. Log in with: mairu login SERVER")
        return
      }
      yield* terminal.product(sessions.map((s) => sessionLine(s, utc) + "\n").join(""))
    })
).pipe(Command.withDescription("List the servers the agent holds a session for."))
