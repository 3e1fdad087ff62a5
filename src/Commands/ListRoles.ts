import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ListRoles, ListServers, ResolveServer, type ServerSummary } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"
import { describeFailure, ExitCode, reportFailures } from "./Failure.js"
import { jsonOption, printJson } from "./Json.js"

export const listRolesCommand = Command.make(
  "list-roles",
  {
    server: Args.text({ name: "SERVER" }).pipe(
      Args.withDescription("Server id or url; all the agent's servers when omitted"),
      Args.optional
    ),
    json: jsonOption
  },
  ({ json, server: name }) =>
    Effect.gen(function*() {
      const agent = yield* AgentClient
      const terminal = yield* Terminal
      // The agent's servers: on a host that reaches it through a forwarded socket, its configuration counts.
      const agentServers = Option.isSome(name) ? undefined : yield* agent.call(new ListServers())
      const servers: ReadonlyArray<ServerSummary> = agentServers === undefined
        ? [yield* agent.call(new ResolveServer({ server: Option.getOrThrow(name) }))]
        : agentServers.servers
      if (servers.length === 0) {
        yield* terminal.message(
          `The agent has no servers: add a file to its ${agentServers?.serversDir ?? "servers.d"} or run: mairu setup-sso`
        )
        return
      }
      let failed = false
      const listed: Array<{ server_id: string; role: string; description: string | null }> = []
      const problems: Array<{ server_id: string; kind: string; message: string }> = []
      for (const server of servers) {
        const roles = yield* agent.call(new ListRoles({ server: server.id })).pipe(Effect.either)
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
