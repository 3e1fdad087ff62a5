import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ListRoles } from "../Schemas/AgentProtocol.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import { AgentClient } from "../Services/AgentClient.js"
import { ServerConfigs } from "../Services/ServerConfigs.js"
import { Terminal } from "../Services/Terminal.js"
import { describeFailure } from "../Plain/Messages.js"
import { ExitCode, reportFailures } from "./Failure.js"
import { jsonOption, printJson } from "./Json.js"

export const listRolesCommand = Command.make(
  "list-roles",
  {
    server: Args.text({ name: "SERVER" }).pipe(
      Args.withDescription("Server id or url; all configured servers when omitted"),
      Args.optional
    ),
    json: jsonOption
  },
  ({ json, server: name }) =>
    Effect.gen(function*() {
      const configs = yield* ServerConfigs
      const agent = yield* AgentClient
      const terminal = yield* Terminal
      const servers: ReadonlyArray<ServerConfig> = Option.isSome(name)
        ? [yield* configs.resolve(name.value)]
        : (yield* configs.load).servers
      if (servers.length === 0) {
        yield* terminal.message("No servers are configured. Add a servers.d file or run: mairu setup-sso")
        return
      }
      let failed = false
      const listed: Array<{ server_id: string; role: string; description: string | null }> = []
      const problems: Array<{ server_id: string; kind: string; message: string }> = []
      for (const server of servers) {
        const roles = yield* agent.call(new ListRoles({ server })).pipe(Effect.either)
        if (roles._tag === "Left") {
          if (roles.left._tag === "AgentUnavailable" || roles.left._tag === "AgentVersionMismatch") {
            return yield* Effect.fail(roles.left)
          }
          // Listing every server: one without a session is reported, not an error.
          const notLoggedIn = Option.isNone(name) && roles.left._tag === "Unauthenticated"
          failed = failed || !notLoggedIn
          problems.push({ server_id: server.id, kind: roles.left._tag, message: describeFailure(roles.left) })
          if (!json) {
            yield* terminal.message(
              notLoggedIn ? `${server.id}: not logged in (mairu login ${server.id})` : `${server.id}: ${describeFailure(roles.left)}`
            )
          }
          continue
        }
        for (const role of roles.right) listed.push({ server_id: server.id, role: role.name, description: role.description ?? null })
        if (json) continue
        yield* terminal.product(
          roles.right.map((role) =>
            `${server.id}\t${role.name}${role.description === undefined ? "" : `\t${role.description}`}\n`
          ).join("")
        )
      }
      if (json) yield* terminal.product(printJson({ roles: listed, problems }))
      if (failed) return yield* new ExitCode({ code: 1 })
    }).pipe(reportFailures)
).pipe(Command.withDescription("List the roles a server offers (one line per role: SERVER, ROLE, description)."))
