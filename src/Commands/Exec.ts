import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { type AgentError, InvalidArgument } from "../Schemas/AgentErrors.js"
import { GetCredentials } from "../Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import { AgentClient, type AgentCallError } from "../Services/AgentClient.js"
import { EcsEndpoint } from "../Services/EcsEndpoint.js"
import { ExecRunner } from "../Services/ExecRunner.js"
import { Terminal } from "../Services/Terminal.js"
import { autoRefresh } from "./AutoRefresh.js"
import { ExecCommandLine, shellQuote } from "./ExecCommandLine.js"
import { describeFailure, ExitCode, reportFailures } from "./Failure.js"
import { oauthGrantTypeOption } from "./Login.js"
import { grantTypeOf, noBrowserOption } from "./LoginFlow.js"
import { roleChainOptions } from "./RoleChainOptions.js"
import { type ExecPlan, obtainWithLogin, resolvePlan } from "./RolePlan.js"

const execOptions = {
  server: Options.text("server").pipe(
    Options.withDescription("Server id or url (default: $MAIRU_SERVER; with auto: the file's server)"),
    Options.optional
  ),
  mode: Options.choice("mode", ["ecs", "static"]).pipe(
    Options.withDescription("ecs: a local credentials endpoint that renews (default); static: AWS_ACCESS_KEY_ID and friends"),
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


/** The command's environment: the user's, plus the credential variables of the mode. */
const commandEnv = (
  plan: ExecPlan,
  credentials: { readonly static?: AwsCredentials; readonly ecs?: { url: string; token: Redacted.Redacted<string> } }
) => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value
  for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"]) {
    delete env[key]
  }
  for (const key of ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]) {
    delete env[key]
  }
  if (credentials.static !== undefined) {
    env.AWS_ACCESS_KEY_ID = credentials.static.accessKeyId
    env.AWS_SECRET_ACCESS_KEY = Redacted.value(credentials.static.secretAccessKey)
    if (credentials.static.sessionToken !== undefined) {
      env.AWS_SESSION_TOKEN = Redacted.value(credentials.static.sessionToken)
    }
  }
  if (credentials.ecs !== undefined) {
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI = credentials.ecs.url
    env.AWS_CONTAINER_AUTHORIZATION_TOKEN = Redacted.value(credentials.ecs.token)
  }
  if (plan.region !== undefined && env.AWS_REGION === undefined && env.AWS_DEFAULT_REGION === undefined) {
    env.AWS_REGION = plan.region
    env.AWS_DEFAULT_REGION = plan.region
  }
  return env
}

export const execCommand = Command.make("exec", execOptions, (flags) =>
  Effect.gen(function*() {
    const agent = yield* AgentClient
    const terminal = yield* Terminal
    const line = yield* ExecCommandLine
    if (line.command.length === 0) {
      return yield* new InvalidArgument({ message: "no command given: mairu exec [OPTIONS] ROLE COMMAND [ARGS…]" })
    }
    const approveCommand = (digest: string) =>
      ["mairu", "exec", "--confirm-trust", digest, ...withoutConfirmTrust(line.options), "auto", ...line.command]
        .map(shellQuote)
        .join(" ")
    const plan = yield* resolvePlan(flags, approveCommand)
    const what = `${plan.role} from ${plan.server.id}`
    const obtain = agent.call(
      new GetCredentials({ server: plan.server, role: plan.role, assumeRole: plan.assumeRole, noCache: flags.noCache })
    )

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
        terminal.message(`cannot run ${line.command[0]}: no credentials for ${what}: ${describeFailure(error)}`).pipe(
          Effect.zipRight(Effect.fail(new ExitCode({ code: 1 })))
        )
      )
    )

    const first = plan.mode === "static" || !flags.noPreflightCheck ? yield* preflight : undefined
    const ecs = plan.mode === "ecs"
      ? yield* (yield* EcsEndpoint).serve(obtain, reportWhileRunning, { reuse: !flags.noCache })
      : undefined
    const env = commandEnv(plan, {
      ...(plan.mode === "static" && first !== undefined ? { static: first } : {}),
      ...(ecs === undefined ? {} : { ecs })
    })
    if (first !== undefined && plan.mode === "ecs" && !flags.noAutoRefresh && !flags.noCache) {
      yield* Effect.forkScoped(autoRefresh(first, obtain, reportWhileRunning))
    }
    const status = yield* (yield* ExecRunner).run(line.command, env).pipe(
      Effect.catchTag("CommandNotRunnable", (error) =>
        terminal.message(error.message).pipe(Effect.zipRight(Effect.fail(new ExitCode({ code: error.exitCode })))))
    )
    return yield* status._tag === "Exited"
      ? new ExitCode({ code: status.code })
      : new ExitCode({ code: 128, signal: status.signal })
  }).pipe(Effect.scoped, reportFailures)).pipe(
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
