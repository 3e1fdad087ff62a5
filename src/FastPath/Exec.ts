import type { AutoConfig, ExecMode } from "../AutoConfig/AutoConfigFile.js"
import { showAutoRoleFromEnv } from "../AutoConfig/ShowAutoRole.js"
import { keepWarm, type Obtained } from "../Credentials/CachePolicy.js"
import { commandEnv, dieBy, runCommand } from "../Exec/CommandProcess.js"
import type { EcsCredentials, EcsHandOut, EcsServer } from "../Exec/EcsServer.js"
import { splitExecArgs } from "../Exec/ExecArgv.js"
import { sessionWatchDelayMs } from "../Exec/SessionWatch.js"
import { resolvePaths } from "../Files/XdgPaths.js"
import type { AssumeRoleChain } from "../Schemas/AgentProtocol.js"
import type { HandOutVia, ReportedRequester } from "../Schemas/Audit.js"
import { type DescribableFailure, describeFailure, userMessages } from "../Terminal/Messages.js"
import { visibleLine } from "../Terminal/Visible.js"
import { agentUnavailable } from "../Wire/AgentWire.js"
import { callAgent, type EncodedRequest } from "./AgentCall.js"
import { type EncodedCredentials, fromEncoded, type PlainCredentials } from "./EncodedCredentials.js"

/**
 * The fast path of `mairu exec`: the common case (ROLE with a server, or a trusted
 * `auto`, and an agent that answers with credentials within a second) runs with Node
 * built-ins only, on the same plain pieces the full path's services wrap (agent wire,
 * ecs server, keep-warm policy, command runner). Anything else (other options, an
 * untrusted or unusual `.mairu.json`, no agent, a failure, a login to run) returns
 * undefined before anything was printed, and the full CLI does it all. What only
 * one mode needs (the http server, the trust digests) is loaded only for it.
 */

/** How long the fast path waits for the agent before leaving the work to the full path. */
const FAST_ANSWER_MS = 1_000

interface FastFlags {
  readonly server: string | undefined
  readonly mode: ExecMode | undefined
  readonly noAutoRefresh: boolean
  readonly showAuto: boolean
}

/**
 * The exec options the fast path takes: a `value` option takes the next word. Each is the
 * full CLI's option of the same name and kind (a test keeps the two in step).
 */
export const FAST_EXEC_OPTIONS: Readonly<Record<string, "value" | "flag">> = {
  "--server": "value",
  "--mode": "value",
  "-m": "value",
  "--no-auto-refresh": "flag",
  "--show-auto": "flag",
  "--no-login": "flag",
  "--no-browser": "flag"
}

/** The options the fast path understands; undefined for anything else, so that the CLI parser judges it. */
const parseOptions = (options: ReadonlyArray<string>): FastFlags | undefined => {
  let server: string | undefined
  let mode: ExecMode | undefined
  let noAutoRefresh = false
  let showAuto = false
  const seen = new Set<string>()
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!
    const equals = option.indexOf("=")
    const given = equals === -1 ? option : option.slice(0, equals)
    const kind = Object.hasOwn(FAST_EXEC_OPTIONS, given) ? FAST_EXEC_OPTIONS[given] : undefined
    if (kind === undefined) return undefined
    // The CLI parser takes `-m static` but not `-m=static`.
    if (given === "-m" && equals !== -1) return undefined
    const name = given === "-m" ? "--mode" : given
    if (seen.has(name)) return undefined
    seen.add(name)
    if (kind === "value") {
      const value = equals === -1 ? options[++i] : option.slice(equals + 1)
      if (value === undefined || value === "" || value.startsWith("-")) return undefined
      if (name === "--server") server = value
      else if (value === "ecs" || value === "static") mode = value
      else return undefined
      continue
    }
    if (equals !== -1) return undefined
    if (name === "--no-auto-refresh") noAutoRefresh = true
    else if (name === "--show-auto") showAuto = true
  }
  return { server, mode, noAutoRefresh, showAuto }
}

/** The nearest `.mairu.json`, if the user trusts it as it is now and it is usable. */
const trustedAuto = async (trustDir: string, cwd: string): Promise<AutoConfig | undefined> => {
  const { isTrustedFile, nearestAutoConfig } = await import("../AutoConfig/AutoFile.js")
  const { loadAutoConfig } = await import("../AutoConfig/AutoConfigFile.js")
  const file = nearestAutoConfig(cwd)
  if (file === undefined) return undefined
  // One that is not usable (another user's, control characters, a bad field): the full path says why.
  const loaded = loadAutoConfig(file)
  return loaded.ok && isTrustedFile(trustDir, file, loaded.auto.bytes) ? loaded.auto : undefined
}

interface Plan {
  readonly serverName: string
  readonly role: string
  readonly assumeRole: AssumeRoleChain | undefined
  readonly mode: ExecMode
  readonly region: string | undefined
  readonly autoPath: string | undefined
}

const planFor = async (
  role: string,
  flags: FastFlags,
  env: NodeJS.ProcessEnv,
  trustDir: string
): Promise<Plan | undefined> => {
  if (role !== "auto") {
    const serverName = flags.server ?? (env.MAIRU_SERVER || undefined)
    if (serverName === undefined) return undefined
    return {
      serverName,
      role,
      assumeRole: undefined,
      mode: flags.mode ?? "ecs",
      region: undefined,
      autoPath: undefined
    }
  }
  const auto = await trustedAuto(trustDir, process.cwd())
  if (auto === undefined) return undefined
  const { chainOf } = await import("../AutoConfig/AutoConfigFile.js")
  return {
    serverName: flags.server ?? auto.config.server,
    role: auto.config.role,
    assumeRole: chainOf(auto.config),
    mode: flags.mode ?? auto.config.mode ?? "ecs",
    region: auto.config.region,
    autoPath: auto.path
  }
}

/** Runs `mairu exec` on the fast path; the exit code, or undefined when the full CLI must handle it. */
export const runFastExec = async (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  version: string
): Promise<number | undefined> => {
  const split = splitExecArgs(args)
  if (split === undefined || split.command.length === 0) return undefined
  const flags = parseOptions(split.mairuArgs.slice(0, -1))
  if (flags === undefined) return undefined
  const paths = resolvePaths(env)
  const plan = await planFor(split.mairuArgs.at(-1)!, flags, env, paths.trustDir)
  if (plan === undefined) return undefined

  // Credentials exec fetches for itself in ecs mode (a first check, keeping the cache warm) never reach the command.
  const ownVia = plan.mode === "static" ? "exec-static" : "exec-keep-warm"
  const credentialsFor = (server: string, via: HandOutVia, requester?: ReportedRequester): EncodedRequest => ({
    _tag: "GetCredentials",
    server,
    role: plan.role,
    assumeRole: plan.assumeRole,
    noCache: false,
    via,
    ...(requester === undefined ? {} : { requester })
  })
  const first = await callAgent(paths.socketPath, [
    { _tag: "ResolveServer", server: plan.serverName },
    credentialsFor(plan.serverName, ownVia)
  ], {
    version,
    start: false,
    env,
    signal: AbortSignal.timeout(FAST_ANSWER_MS)
  })
  if (first === "not-running" || first._tag !== "Answered") return undefined
  const [resolved, obtained] = first.results
  if (resolved?.ok !== true || obtained?.ok !== true) return undefined
  const server = resolved.value as { readonly id: string }
  const credentials = fromEncoded(obtained.value as EncodedCredentials)

  const tell = userMessages()
  for (const notice of resolved.notices) tell(notice)
  if (plan.autoPath !== undefined && (flags.showAuto || showAutoRoleFromEnv(env))) {
    tell(`auto: server ${server.id}, role ${plan.role} (from ${visibleLine(plan.autoPath)})`)
  }

  const what = `${plan.role} from ${server.id}`
  let lastReported: string | undefined
  const reportWhileRunning = (failure: DescribableFailure) => {
    const text = `cannot renew credentials for ${what}: ${describeFailure(failure)}`
    if (text === lastReported) return
    lastReported = text
    tell(text)
  }
  const obtain = async (
    via: HandOutVia = ownVia,
    requester?: ReportedRequester
  ): Promise<Obtained<PlainCredentials, DescribableFailure>> => {
    const request = credentialsFor(server.id, via, requester)
    const answer = await callAgent(paths.socketPath, [request], { version, start: true, env })
    if (answer === "not-running") return { ok: false, error: agentUnavailable("no agent answers") }
    if (answer._tag === "AgentUnavailable") return { ok: false, error: answer }
    const result = answer.results[0]!
    return result.ok
      ? { ok: true, value: fromEncoded(result.value as EncodedCredentials) }
      : { ok: false, error: result.failure }
  }

  let ecs: EcsServer | undefined
  let stopKeepingWarm = () => {}
  if (plan.mode === "ecs") {
    const reported = async (requester: ReportedRequester): Promise<Obtained<EcsCredentials, DescribableFailure>> => {
      const result = await obtain("exec-ecs", requester)
      if (!result.ok) reportWhileRunning(result.error)
      return result
    }
    const record = async (handOuts: ReadonlyArray<EcsHandOut>, unrecorded: number) => {
      const request: EncodedRequest = {
        _tag: "RecordHandOuts",
        server: server.id,
        role: plan.role,
        assumeRole: plan.assumeRole,
        handOuts: handOuts.map((handOut) => ({ ...handOut, at: handOut.at.toISOString() })),
        unrecorded
      }
      await callAgent(paths.socketPath, [request], { version, start: false, env })
    }
    const { startEcsServer } = await import("../Exec/EcsServer.js")
    ecs = await startEcsServer(reported, { reuse: true, record })
    if (!flags.noAutoRefresh) stopKeepingWarm = keepWarm(credentials, () => obtain(), reportWhileRunning)
  }
  // A session that ends while the command runs (mairu logout, or refused by its server) is told once,
  // and the endpoint stops reusing credentials of the ended session.
  const watching = new AbortController()
  const watch = () =>
    void callAgent(paths.socketPath, [{ _tag: "WatchSession", server: server.id }], {
      version,
      start: false,
      env,
      signal: watching.signal
    }).then((answer) => {
      if (answer === "not-running" || answer._tag !== "Answered") return
      const result = answer.results[0]!
      if (result.ok || result.failure._tag !== "Unauthenticated") return
      ecs?.forget()
      reportWhileRunning(result.failure)
    })
  const watchDelay = sessionWatchDelayMs(plan.mode)
  let watchTimer: ReturnType<typeof setTimeout> | undefined
  if (watchDelay === 0) watch()
  else watchTimer = setTimeout(watch, watchDelay)
  const outcome = await runCommand(
    split.command,
    commandEnv(env, {
      ...(plan.mode === "static" ? { static: credentials } : {}),
      ...(ecs === undefined ? {} : { ecs: { url: ecs.url, token: ecs.token } }),
      region: plan.region
    })
  )
  clearTimeout(watchTimer)
  watching.abort()
  stopKeepingWarm()
  await ecs?.close()
  switch (outcome._tag) {
    case "NotRunnable":
      tell(outcome.message)
      return outcome.exitCode
    case "Exited":
      return outcome.code
    case "Signaled":
      return dieBy(outcome.signal)
  }
}
