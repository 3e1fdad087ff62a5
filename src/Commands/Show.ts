import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { AutoConfigFile } from "../AutoConfig/AutoConfigFile.js"
import { originalContent } from "../AutoConfig/AutoFile.js"
import { failureText } from "../Client/Failure.js"
import { printJson } from "../Client/Json.js"
import { ExitCode } from "../ProcessExit.js"
import { ListSessions, ResolveServer, serverSummary } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { AutoConfigs } from "../Services/AutoConfigs.js"
import { ServerConfigs } from "../Services/ServerConfigs.js"
import { Terminal } from "../Services/Terminal.js"
import { TrustStore } from "../Services/TrustStore.js"

/** A `.mairu.json` as the original Mairu shows it, with `region` when set. */
const autoJson = (file: AutoConfigFile) => ({
  ...originalContent(file),
  ...(file.region === undefined ? {} : { region: file.region })
})

export const showCommand = Command.make(
  "show",
  {
    fail: Options.boolean("fail-when-missing-auto").pipe(
      Options.withAlias("f"),
      Options.withAlias("fail"),
      Options.withDescription("Exit 1 when no .mairu.json applies here")
    ),
    quiet: Options.boolean("quiet").pipe(
      Options.withAlias("q"),
      Options.withDescription("Print nothing; use the exit code")
    )
  },
  ({ fail, quiet }) =>
    Effect.gen(function*() {
      const terminal = yield* Terminal
      const found = yield* (yield* AutoConfigs).find(process.cwd())
      if (Option.isNone(found)) {
        if (!quiet) yield* terminal.product(printJson({ auto: null }))
        if (fail) return yield* new ExitCode({ code: 1 })
        return
      }
      const auto = found.value
      const trust = yield* TrustStore
      const agent = yield* AgentClient
      // Asking whether a session exists must not start an agent; a running one knows the servers that count.
      const running = yield* agent.ping
      const resolved = running
        ? yield* agent.call(new ResolveServer({ server: auto.config.server })).pipe(Effect.either)
        : yield* (yield* ServerConfigs).resolve(auto.config.server).pipe(Effect.map(serverSummary), Effect.either)
      const server = Either.getRight(resolved)
      const sessions = running ? yield* agent.call(new ListSessions()) : []
      const loggedIn = Option.isSome(server) &&
        sessions.some((s) => s.serverId === server.value.id && s.serverUrl === server.value.url)
      // The original Mairu's keys first, in its order; mairu's own follow.
      const report = {
        auto: autoJson(auto.config),
        auto_source: auto.path,
        auto_trusted: yield* trust.isTrusted(auto),
        auto_logged_in: loggedIn,
        digest: trust.digest(auto),
        server: Option.match(server, { onNone: () => null, onSome: (s) => ({ id: s.id, url: s.url }) }),
        ...(Either.isLeft(resolved) ? { server_error: failureText(resolved.left) } : {})
      }
      if (!quiet) yield* terminal.product(printJson(report))
    })
).pipe(Command.withDescription(
  "Show the auto role in effect here as JSON: the .mairu.json content and path, whether you trust it, " +
    "whether you are logged in to its server, its digest."
))
