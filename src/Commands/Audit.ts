import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type AuditFilter, jsonLine, matches, parseSince, textLines } from "../Client/AuditView.js"
import { reportFailures } from "../Client/Failure.js"
import { InvalidArgument } from "../Schemas/AgentErrors.js"
import { ReadAudit } from "../Schemas/AgentProtocol.js"
import type { AuditEntry } from "../Schemas/Audit.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"

const auditOptions = {
  json: Options.boolean("json").pipe(
    Options.withDescription("One JSON object per line, with snake_case field names, instead of text")
  ),
  follow: Options.boolean("follow").pipe(
    Options.withAlias("f"),
    Options.withDescription("Keep printing new entries as they come, until interrupted (Ctrl-C)")
  ),
  server: Options.text("server").pipe(Options.withDescription("Only the hand-outs of server ID"), Options.optional),
  role: Options.text("role").pipe(Options.withDescription("Only the hand-outs of ROLE"), Options.optional),
  since: Options.text("since").pipe(
    Options.withDescription("Only entries since a time ago (30m, 1h, 2d) or a timestamp (2026-05-01T09:00:00Z)"),
    Options.optional
  ),
  limit: Options.integer("limit").pipe(
    Options.withDescription("Only the last N entries (before following new ones)"),
    Options.optional
  ),
  utc: Options.boolean("utc").pipe(Options.withDescription("Show times in UTC instead of local time"))
}

export const auditCommand = Command.make("audit", auditOptions, (flags) =>
  Effect.gen(function*() {
    const agent = yield* AgentClient
    const terminal = yield* Terminal
    const sinceText = Option.getOrUndefined(flags.since)
    const since = sinceText === undefined ? undefined : parseSince(sinceText, yield* Clock.currentTimeMillis)
    if (sinceText !== undefined && since === undefined) {
      return yield* new InvalidArgument({
        message: `--since ${sinceText} is neither a time ago (30m, 1h, 2d) nor a timestamp (2026-05-01T09:00:00Z)`
      })
    }
    const limit = Option.getOrUndefined(flags.limit)
    if (limit !== undefined && limit < 0) {
      return yield* new InvalidArgument({ message: `--limit ${limit}: give a number of entries, 0 or more` })
    }
    const filter: AuditFilter = {
      server: Option.getOrUndefined(flags.server),
      role: Option.getOrUndefined(flags.role),
      since
    }
    const show = (entries: ReadonlyArray<AuditEntry>) =>
      entries.length === 0
        ? Effect.void
        : terminal.product(flags.json ? entries.map(jsonLine).join("") : textLines(entries, flags.utc))

    // Everything the agent holds, a page at a time.
    const held: Array<AuditEntry> = []
    let cursor = 0
    for (let more = true; more;) {
      const page = yield* agent.call(new ReadAudit({ after: cursor, wait: false }))
      held.push(...page.entries)
      cursor = page.entries.at(-1)?.seq ?? cursor
      more = page.more
    }
    const shown = held.filter(matches(filter))
    yield* show(limit === undefined ? shown : shown.slice(Math.max(shown.length - limit, 0)))
    if (!flags.follow) {
      if (shown.length === 0 && !flags.json) {
        yield* terminal.message(
          held.length === 0
            ? "No credentials handed out since the agent started. The trail lives in the agent's memory; " +
              "MAIRU_AUDIT_LOG=FILE keeps it in a file too."
            : "No entries match; mairu audit without options shows them all."
        )
      }
      return
    }
    while (true) {
      const page = yield* agent.call(new ReadAudit({ after: cursor, wait: true }))
      cursor = page.entries.at(-1)?.seq ?? cursor
      yield* show(page.entries.filter(matches(filter)))
    }
  }).pipe(reportFailures)).pipe(
    Command.withDescription(
      "Show the agent's audit trail: every credentials request it answered (handed out, refused or failed), " +
        "how, and the process that asked; newest last."
    )
  )
