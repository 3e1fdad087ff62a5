import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { UsageError } from "../Client/Errors.js"
import { failureText } from "../Client/Failure.js"
import { keepWarm } from "../Client/KeepWarm.js"
import { grantTypeOf, noBrowserOption } from "../Client/LoginFlow.js"
import { roleChainOptions } from "../Client/RoleChainOptions.js"
import { obtainWithLogin, resolvePlan, serverOption } from "../Client/RolePlan.js"
import { commandEnv } from "../Exec/CommandProcess.js"
import { sessionWatchDelayMs } from "../Exec/SessionWatch.js"
import { ExitCode } from "../ProcessExit.js"
import type { AgentError } from "../Schemas/AgentErrors.js"
import { GetCredentials, RecordHandOuts, WatchSession } from "../Schemas/AgentProtocol.js"
import type { HandOutVia, ReportedRequester } from "../Schemas/Audit.js"
import { type AgentCallError, AgentClient } from "../Services/AgentClient.js"
import { EcsEndpoint, type EcsHandOuts } from "../Services/EcsEndpoint.js"
import { ExecCommandLine } from "../Services/ExecCommandLine.js"
import { ExecRunner } from "../Services/ExecRunner.js"
import { Settings } from "../Services/Settings.js"
import { Terminal } from "../Services/Terminal.js"
import { describeFailure } from "../Terminal/Messages.js"
import { shellQuote } from "../Terminal/ShellQuote.js"
import { oauthGrantTypeOption } from "./Login.js"

const execOptions = {
  server: serverOption,
  mode: Options.choice("mode", ["ecs", "static"]).pipe(
    Options.withAlias("m"),
    Options.withDescription(
      "ecs: a local credentials endpoint that renews (default); static: AWS_ACCESS_KEY_ID and friends"
    ),
    Options.optional
  ),
  noCache: Options.boolean("no-cache").pipe(Options.withDescription("Fetch new credentials instead of cached ones")),
  noLogin: Options.boolean("no-login").pipe(
    Options.withDescription("Fail instead of starting a login when the session has ended")
  ),
  noAutoRefresh: Options.boolean("no-auto-refresh").pipe(
    Options.withDescription("Do not keep the agent's cache warm while the command runs")
  ),
  noPreflightCheck: Options.boolean("no-preflight-check").pipe(
    Options.withDescription("Start the command without obtaining credentials first (ecs mode)")
  ),
  grantType: oauthGrantTypeOption,
  noBrowser: noBrowserOption,
  confirmTrust: Options.text("confirm-trust").pipe(
    Options.withDescription("Trust the current .mairu.json if its digest is DIGEST (for use without a terminal)"),
    Options.optional
  ),
  showAuto: Options.boolean("show-auto").pipe(
    Options.withDescription("Tell which server and role auto chose (also: MAIRU_SHOW_AUTO_ROLE)")
  ),
  ...roleChainOptions,
  role: Args.text({ name: "ROLE" }).pipe(
    Args.withDescription("Role to assume, or auto for the nearest .mairu.json; COMMAND [ARGS…] follow it")
  )
}

export const execCommand = Command.make("exec", execOptions, (flags) =>
  Effect.gen(function*() {
    const agent = yield* AgentClient
    const terminal = yield* Terminal
    const line = yield* ExecCommandLine
    if (line.command.length === 0) {
      return yield* new UsageError({ problem: "NoCommand" })
    }
    const approveCommand = (digest: string) =>
      ["mairu", "exec", "--confirm-trust", digest, ...withoutConfirmTrust(line.options), "auto", ...line.command]
        .map(shellQuote)
        .join(" ")
    const plan = yield* resolvePlan(flags, approveCommand)
    const what = `${plan.role} from ${plan.server.id}`
    const obtainFor = (via: HandOutVia, requester?: ReportedRequester) =>
      agent.call(
        new GetCredentials({
          server: plan.server.id,
          role: plan.role,
          assumeRole: plan.assumeRole,
          noCache: flags.noCache,
          via,
          ...(requester === undefined ? {} : { requester })
        })
      )
    // Credentials exec fetches for itself in ecs mode (a first check, keeping the cache warm) never reach the command.
    const obtain = obtainFor(plan.mode === "static" ? "exec-static" : "exec-keep-warm")

    let lastReported: string | undefined
    const reportWhileRunning = (error: AgentError | AgentCallError) => {
      const text = `cannot renew credentials for ${what}: ${describeFailure(error)}`
      if (text === lastReported) return Effect.void
      lastReported = text
      return terminal.message(text)
    }

    const preflight = obtainWithLogin(plan, obtain, {
      login: !flags.noLogin,
      grantType: grantTypeOf(Option.getOrUndefined(flags.grantType)),
      browser: !flags.noBrowser
    }).pipe(
      Effect.catchAll((error) =>
        terminal.message(`cannot run ${line.command[0]}: no credentials for ${what}: ${failureText(error)}`).pipe(
          Effect.zipRight(Effect.fail(new ExitCode({ code: 1 })))
        )
      )
    )

    const first = plan.mode === "static" || !flags.noPreflightCheck ? yield* preflight : undefined
    const record = ({ handOuts, unrecorded }: EcsHandOuts) =>
      agent.call(
        new RecordHandOuts({
          server: plan.server.id,
          role: plan.role,
          assumeRole: plan.assumeRole,
          handOuts,
          unrecorded
        })
      ).pipe(Effect.ignore)
    const ecs = plan.mode === "ecs"
      ? yield* (yield* EcsEndpoint).serve(
        (requester) => obtainFor("exec-ecs", requester),
        reportWhileRunning,
        { reuse: !flags.noCache, record }
      )
      : undefined
    if (first !== undefined) {
      // A session that ends while the command runs (mairu logout, or refused by its server) is told once,
      // and the endpoint stops reusing credentials of the ended session.
      // It starts no agent: one that went away holds no session to watch.
      const watch = agent.call(new WatchSession({ server: plan.server.id }), { start: false }).pipe(
        Effect.catchAll((error) =>
          error._tag === "Unauthenticated"
            ? (ecs === undefined ? Effect.void : ecs.forget).pipe(Effect.zipRight(reportWhileRunning(error)))
            : Effect.void
        )
      )
      const watchDelay = sessionWatchDelayMs(plan.mode)
      yield* Effect.forkScoped(watchDelay === 0 ? watch : Effect.delay(watch, watchDelay))
    }
    const env = commandEnv((yield* Settings).environment, {
      ...(plan.mode === "static" && first !== undefined
        ? {
          static: {
            accessKeyId: first.accessKeyId,
            secretAccessKey: Redacted.value(first.secretAccessKey),
            sessionToken: first.sessionToken === undefined ? undefined : Redacted.value(first.sessionToken)
          }
        }
        : {}),
      ...(ecs === undefined ? {} : { ecs: { url: ecs.url, token: Redacted.value(ecs.token) } }),
      region: plan.region
    })
    if (first !== undefined && plan.mode === "ecs" && !flags.noAutoRefresh && !flags.noCache) {
      yield* Effect.forkScoped(keepWarm(first, obtain, reportWhileRunning))
    }
    const status = yield* (yield* ExecRunner).run(line.command, env).pipe(
      Effect.catchTag("CommandNotRunnable", (error) =>
        terminal.message(error.message).pipe(Effect.zipRight(Effect.fail(new ExitCode({ code: error.exitCode })))))
    )
    return yield* status._tag === "Exited"
      ? new ExitCode({ code: status.code })
      : new ExitCode({ code: 128, signal: status.signal })
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "Run COMMAND with AWS credentials for ROLE (auto: the role the nearest .mairu.json names, once you trust it). " +
        "Everything after ROLE is the command, passed on untouched."
    )
  )

const withoutConfirmTrust = (options: ReadonlyArray<string>) => {
  const out: Array<string> = []
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!
    if (option === "--confirm-trust") i++
    else if (!option.startsWith("--confirm-trust=")) out.push(option)
  }
  return out
}
