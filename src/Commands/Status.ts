import * as Command from "@effect/cli/Command"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"
import { failureText } from "../Client/Failure.js"
import { formatTime } from "../Client/Format.js"
import { jsonOption, printJson } from "../Client/Json.js"
import { formatExpiration } from "../Credentials/CredentialProcessJson.js"
import { hardeningProblem } from "../Platform/Hardening.js"
import { platform } from "../Platform/ThisPlatform.js"
import { ExitCode } from "../ProcessExit.js"
import { Hello, ListServers, ListSessions, serverSummary } from "../Schemas/AgentProtocol.js"
import type { SessionInfo } from "../Schemas/Session.js"
import { AgentClient } from "../Services/AgentClient.js"
import { AutoConfigs } from "../Services/AutoConfigs.js"
import { Paths } from "../Services/Paths.js"
import { ServerConfigs } from "../Services/ServerConfigs.js"
import { Terminal } from "../Services/Terminal.js"
import { TrustStore } from "../Services/TrustStore.js"
import { describeFailure, skippedFileWarning } from "../Terminal/Messages.js"
import { visibleLine } from "../Terminal/Visible.js"
import { VERSION } from "../Version.js"
import { checkSocketPath } from "../Wire/SocketTrust.js"

/** Everything `mairu status` reports; the JSON form uses these field names. */
const gather = Effect.gen(function*() {
  const paths = yield* Paths
  const agent = yield* AgentClient
  const problems: Array<string> = []

  const running = yield* agent.ping
  const trust = checkSocketPath(paths.socketPath)
  if (trust._tag === "Untrusted") problems.push(`the agent socket is not used: ${trust.message}`)
  const hello = running ? yield* agent.call(new Hello()).pipe(Effect.either) : undefined
  const sessions: ReadonlyArray<SessionInfo> = hello?._tag === "Right"
    ? yield* agent.call(new ListSessions()).pipe(Effect.orElseSucceed(() => []))
    : []
  if (hello?._tag === "Left") problems.push(describeFailure(hello.left))
  const unhardened = hello?._tag === "Right" ? hardeningProblem(hello.right.hardening) : undefined
  if (unhardened !== undefined) problems.push(unhardened)
  const now = yield* Clock.currentTimeMillis
  const audit = hello?._tag === "Right" ? hello.right.audit : undefined
  if (audit?.problem !== undefined) {
    problems.push(
      `the agent does not write the audit log ${audit.file} (MAIRU_AUDIT_LOG): ${audit.problem}; ` +
        `once fixed, restart the agent: mairu kill-agent`
    )
  }
  const agentReport = {
    running,
    socket: paths.socketPath,
    version: hello?._tag === "Right" ? hello.right.version : null,
    pid: hello?._tag === "Right" ? hello.right.pid : null,
    uptime_seconds: hello?._tag === "Right" ? Math.round((now - hello.right.startedAt.getTime()) / 1000) : null,
    hardening: hello?._tag === "Right"
      ? {
        core_dumps_off: hello.right.hardening.coreDumpsOff,
        debuggers_blocked: hello.right.hardening.debuggersBlocked,
        inspector_closed: hello.right.hardening.inspectorClosed,
        problem: hello.right.hardening.problem ?? null
      }
      : null,
    audit: audit === undefined
      ? null
      : { entries: audit.entries, file: audit.file ?? null, problem: audit.problem ?? null }
  }

  // A running agent's servers are the ones that count (it may be on another machine, through a forwarded
  // socket); without one, this machine's, which an agent started here would read.
  const fromAgent = hello?._tag === "Right" ? yield* agent.call(new ListServers()).pipe(Effect.either) : undefined
  if (fromAgent?._tag === "Left") problems.push(describeFailure(fromAgent.left))
  const agentConfig = fromAgent?._tag === "Right" ? fromAgent.right : undefined
  const loaded = yield* (yield* ServerConfigs).load
  problems.push(...loaded.problems.map(skippedFileWarning), ...(agentConfig?.problems ?? []))
  const serversDir = agentConfig?.serversDir ?? paths.serversDir
  const shown = agentConfig?.servers ?? loaded.servers.map(serverSummary)
  const counts = new Map<string, number>()
  for (const server of shown) counts.set(server.id, (counts.get(server.id) ?? 0) + 1)
  for (const [id, count] of counts) {
    if (count > 1) {
      problems.push(`server id "${id}" is defined ${count} times in ${serversDir}; give each file its own "id"`)
    }
  }
  const servers = shown.map((server) => {
    const session = sessions.find((s) => s.serverId === server.id && s.serverUrl === server.url)
    return {
      id: server.id,
      url: server.url,
      file: server.file,
      kind: server.kind,
      source: agentConfig === undefined ? "local" : "agent",
      logged_in: session !== undefined,
      expires_at: session === undefined ? null : formatExpiration(session.expiresAt),
      refreshable: session?.renewsAt !== undefined
    }
  })

  const found = yield* (yield* AutoConfigs).find(process.cwd()).pipe(Effect.either)
  let auto: { path: string; server: string; role: string; trusted: boolean } | null = null
  if (found._tag === "Left") problems.push(failureText(found.left))
  else if (Option.isSome(found.right)) {
    const config = found.right.value
    const trusted = yield* (yield* TrustStore).isTrusted(config)
    auto = { path: config.path, server: config.config.server, role: config.config.role, trusted }
    if (!trusted) {
      problems.push(`${visibleLine(config.path)} is not trusted yet; run mairu exec auto … here to review and trust it`)
    }
    if (!shown.some((s) => s.id === config.config.server || s.url === config.config.server)) {
      problems.push(`${visibleLine(config.path)} names server "${config.config.server}", which is not configured`)
    }
  }
  return {
    version: VERSION,
    platform: { name: platform.name, arch: process.arch, weaker: platform.weaker() },
    agent: { ...agentReport, servers_dir: agentConfig?.serversDir ?? null },
    servers_dir: serversDir,
    servers,
    auto,
    problems: [...new Set(problems)]
  }
})

type Report = Effect.Effect.Success<typeof gather>

const text = (report: Report) => {
  const { agent } = report
  const lines = [
    agent.running && agent.version !== null
      ? `agent: running, version ${agent.version}, pid ${agent.pid}, up ${agent.uptime_seconds} s, at ${agent.socket}`
      : `agent: ${
        agent.running ? "running (could not ask it more)" : "not running (it starts when needed)"
      }, at ${agent.socket}`,
    ...(agent.hardening === null ? [] : [
      `  hardening: core dumps ${agent.hardening.core_dumps_off ? "off" : "possible"}, debuggers ${
        agent.hardening.debuggers_blocked ? "blocked" : "not blocked"
      }, Node's inspector ${agent.hardening.inspector_closed ? "closed" : "open"}`
    ]),
    `platform: ${report.platform.name} ${report.platform.arch}`,
    ...report.platform.weaker.map((line) => `  weaker here: ${line}`),
    ...(agent.audit === null ? [] : [
      `  audit trail: ${agent.audit.entries} entries in memory (mairu audit)` +
      (agent.audit.file === null
        ? ""
        : agent.audit.problem === null
        ? `, appended to ${agent.audit.file}`
        : `; ${agent.audit.file} is not written (see problems)`)
    ]),
    report.agent.servers_dir === null
      ? `servers (${report.servers_dir}, read by an agent started here)${report.servers.length === 0 ? ": none" : ":"}`
      : `servers (the agent's, in ${report.agent.servers_dir})${report.servers.length === 0 ? ": none" : ":"}`,
    ...report.servers.map((s) =>
      `  ${s.id} (${s.kind === "aws_sso" ? "AWS IAM Identity Center" : "Mairu API"}, ${path.basename(s.file)}): ` +
      (s.logged_in
        ? `logged in until ${formatTime(new Date(s.expires_at!), false)}${s.refreshable ? ", refreshable" : ""}`
        : `not logged in (mairu login ${s.id})`)
    ),
    report.auto === null
      ? "auto role: no .mairu.json here"
      : `auto role: server ${report.auto.server}, role ${report.auto.role} (${visibleLine(report.auto.path)}, ${
        report.auto.trusted ? "trusted" : "not trusted"
      })`,
    ...(report.problems.length === 0 ? ["problems: none"] : ["problems:", ...report.problems.map((p) => `  - ${p}`)])
  ]
  return lines.join("\n") + "\n"
}

export const statusCommand = Command.make("status", { json: jsonOption }, ({ json }) =>
  Effect.gen(function*() {
    const report = yield* gather
    yield* (yield* Terminal).product(json ? printJson(report) : text(report))
    if (report.problems.length > 0) return yield* new ExitCode({ code: 1 })
  })).pipe(
    Command.withDescription(
      "Show the agent, each configured server and its session, the auto role here, and any configuration problem " +
        "(exit 1 when something needs attention)."
    )
  )
