import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { TwoServers, UsageError } from "../Client/Errors.js"
import { printJson } from "../Client/Json.js"
import { ExitCode } from "../ProcessExit.js"
import { ListRoles, ListServers, ListSessions, ResolveServer, type ServerSummary } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"
import { describeFailure } from "../Terminal/Messages.js"

/** One server as the original Mairu's `list-roles` reports it. */
export interface ListedServer {
  readonly server_id: string
  readonly server_url: string
  readonly logged_in: boolean
  readonly roles: ReadonlyArray<{ readonly name: string; readonly description: string }>
}

// The original pads to a width counted in bytes with padding counted in characters.
const byteWidth = (texts: ReadonlyArray<string>) => texts.reduce((w, t) => Math.max(w, Buffer.byteLength(t)), 0)
const padEnd = (text: string, width: number) => text + " ".repeat(Math.max(0, width - [...text].length))

/** `SERVER_ID`, then `    ROLE  DESCRIPTION` per role (or `    not logged in`), then an empty line. */
export const textFormat = (servers: ReadonlyArray<ListedServer>): string => {
  const width = byteWidth(servers.flatMap((s) => s.roles.map((r) => r.name)))
  return servers.map((s) =>
    `${s.server_id}\n` +
    (s.logged_in
      ? s.roles.map((r) => `    ${padEnd(r.name, width)}  ${r.description}\n`).join("")
      : "    not logged in\n") +
    "\n"
  ).join("")
}

/** `SERVER_ID  ROLE  DESCRIPTION` per role, both columns padded. */
export const onelineFormat = (servers: ReadonlyArray<ListedServer>): string => {
  const idWidth = byteWidth(servers.map((s) => s.server_id))
  const roleWidth = byteWidth(servers.flatMap((s) => s.roles.map((r) => r.name)))
  return servers.flatMap((s) =>
    s.roles.map((r) => `${padEnd(s.server_id, idWidth)}  ${padEnd(r.name, roleWidth)}  ${r.description}\n`)
  ).join("")
}

const byId = (a: ServerSummary, b: ServerSummary) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0

export const listRolesCommand = Command.make(
  "list-roles",
  {
    serverOption: Options.text("server").pipe(
      Options.withDescription("Only this server (id or url); the same as SERVER"),
      Options.optional
    ),
    output: Options.choice("output", ["text", "oneline", "json"]).pipe(
      Options.withAlias("o"),
      Options.withDescription("text: per server, its roles indented; oneline: SERVER ROLE DESCRIPTION per line; json"),
      Options.withDefault("text" as const)
    ),
    json: Options.boolean("json").pipe(Options.withDescription("The same as -o json")),
    server: Args.text({ name: "SERVER" }).pipe(
      Args.withDescription("Server id or url; all the agent's servers when omitted"),
      Args.optional
    )
  },
  ({ json, output, server: positional, serverOption }) =>
    Effect.gen(function*() {
      const agent = yield* AgentClient
      const terminal = yield* Terminal
      if (json && output === "oneline") {
        return yield* new UsageError({ problem: "JsonWithOtherFormat" })
      }
      if (Option.isSome(positional) && Option.isSome(serverOption) && positional.value !== serverOption.value) {
        return yield* new TwoServers({ option: serverOption.value, argument: positional.value })
      }
      const format = json ? "json" : output
      const name = Option.orElse(serverOption, () => positional)
      // The agent's servers: on a host that reaches it through a forwarded socket, its configuration counts.
      let servers: ReadonlyArray<ServerSummary>
      let serversDir: string | undefined
      if (Option.isSome(name)) {
        servers = [yield* agent.call(new ResolveServer({ server: name.value }))]
      } else {
        // Logged-in servers first, in the order of their logins, then the others by id.
        const known = yield* agent.call(new ListServers())
        serversDir = known.serversDir
        const all = [...known.servers].sort(byId)
        const sessions = yield* agent.call(new ListSessions())
        const sessionOf = (server: ServerSummary) =>
          sessions.find((s) => s.serverId === server.id && s.serverUrl === server.url)?.id
        const withSession = all.filter((s) => sessionOf(s) !== undefined).sort((a, b) => sessionOf(a)! - sessionOf(b)!)
        servers = [...withSession, ...all.filter((s) => sessionOf(s) === undefined)]
      }
      if (servers.length === 0) {
        yield* terminal.message(
          `The agent has no servers: add a file to its ${serversDir ?? "servers.d"} or run: mairu setup-sso`
        )
      }
      let failed = false
      const listed: Array<ListedServer> = []
      // What `--json` printed before the original's shape was adopted; kept after it, for scripts that read it.
      const roleLines: Array<{ server_id: string; role: string; description: string | null }> = []
      const problems: Array<{ server_id: string; kind: string; message: string }> = []
      for (const server of servers) {
        const roles = yield* agent.call(new ListRoles({ server: server.id })).pipe(Effect.either)
        if (roles._tag === "Left") {
          if (roles.left._tag === "AgentUnavailable" || roles.left._tag === "AgentVersionMismatch") {
            return yield* Effect.fail(roles.left)
          }
          problems.push({ server_id: server.id, kind: roles.left._tag, message: describeFailure(roles.left) })
          if (roles.left._tag === "Unauthenticated") {
            listed.push({ server_id: server.id, server_url: server.url, logged_in: false, roles: [] })
            // Listing every server, one without a session is a fact; naming it, an error.
            if (Option.isNone(name)) {
              if (format !== "json") yield* terminal.message(`${server.id}: not logged in (mairu login ${server.id})`)
              continue
            }
          }
          failed = true
          yield* terminal.message(`${server.id}: ${describeFailure(roles.left)}`)
          continue
        }
        listed.push({
          server_id: server.id,
          server_url: server.url,
          logged_in: true,
          roles: roles.right.map((role) => ({ name: role.name, description: role.description ?? "" }))
        })
        for (const role of roles.right) {
          roleLines.push({ server_id: server.id, role: role.name, description: role.description ?? null })
        }
      }
      yield* terminal.product(
        format === "json"
          ? printJson({ servers: listed, roles: roleLines, problems })
          : format === "oneline"
          ? onelineFormat(listed)
          : textFormat(listed)
      )
      if (failed) return yield* new ExitCode({ code: 1 })
    })
).pipe(Command.withDescription(
  "List the roles each server offers (-o text, oneline or json); servers you are not logged in to say so."
))
