import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { type ConsoleTarget, consoleTarget } from "../Client/ConsoleTarget.js"
import { ConsoleSigninFailed, LinkNotFollowed } from "../Client/Errors.js"
import { noBrowserOption } from "../Client/LoginFlow.js"
import { serveOneTimeRedirect } from "../Client/OneTimeRedirect.js"
import { obtainWithLogin, resolvePlan, serverOption } from "../Client/RolePlan.js"
import { GetCredentials } from "../Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Browser } from "../Services/Browser.js"
import { Settings } from "../Services/Settings.js"
import { Terminal } from "../Services/Terminal.js"
import { shellQuote } from "../Terminal/ShellQuote.js"

/** How long the one-time link waits for the browser to follow it. */
const LINK_WAIT = "60 seconds"

/** A console session: getSigninToken with the role's credentials, then the login URL (which holds a secret). */
export const consoleSigninUrl = (credentials: AwsCredentials, target: ConsoleTarget) =>
  Effect.gen(function*() {
    const endpoint = target.federationEndpoint
    if (credentials.sessionToken === undefined) {
      return yield* new ConsoleSigninFailed({ endpoint, problem: "NoSessionToken" })
    }
    const tokenUrl = new URL(endpoint)
    tokenUrl.searchParams.set("Action", "getSigninToken")
    tokenUrl.searchParams.set("SessionDuration", String(target.sessionDuration))
    tokenUrl.searchParams.set(
      "Session",
      JSON.stringify({
        sessionId: credentials.accessKeyId,
        sessionKey: Redacted.value(credentials.secretAccessKey),
        sessionToken: Redacted.value(credentials.sessionToken)
      })
    )
    const answer = yield* Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(tokenUrl, { signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) })
        return { status: response.status, body: await response.text() }
      },
      catch: (error) => new ConsoleSigninFailed({ endpoint, problem: "Unreachable", reason: String(error) })
    })
    let token: unknown
    try {
      token = (JSON.parse(answer.body) as { SigninToken?: unknown }).SigninToken
    } catch {
      token = undefined
    }
    if (answer.status !== 200 || typeof token !== "string") {
      return yield* new ConsoleSigninFailed({ endpoint, problem: "Refused", status: answer.status })
    }
    const login = new URL(endpoint)
    login.searchParams.set("Action", "login")
    login.searchParams.set("Issuer", "mairu")
    login.searchParams.set("Destination", target.destination)
    login.searchParams.set("SigninToken", token)
    return Redacted.make(login.toString())
  })

export const consoleCommand = Command.make(
  "console",
  {
    server: serverOption,
    print: Options.boolean("print").pipe(
      Options.withDescription("Print the sign-in URL on stdout instead of opening it (anyone with it signs in as ROLE)")
    ),
    region: Options.text("region").pipe(
      Options.withDescription("The console's region, e.g. eu-west-1 (default: with auto, the file's region)"),
      Options.optional
    ),
    destination: Options.text("destination").pipe(
      Options.withDescription("Where to land: a service (s3), a console path (/s3/buckets) or a console URL"),
      Options.optional
    ),
    duration: Options.text("duration").pipe(
      Options.withDescription("The console session's length: seconds or 1h, 90m, 1h30m; 15m to 12h (default 1h)"),
      Options.optional
    ),
    confirmTrust: Options.text("confirm-trust").pipe(
      Options.withDescription("Trust the current .mairu.json if its digest is DIGEST"),
      Options.optional
    ),
    noBrowser: noBrowserOption,
    role: Args.text({ name: "ROLE" }).pipe(Args.withDescription("Role, or auto for the nearest .mairu.json"))
  },
  (flags) =>
    Effect.gen(function*() {
      const terminal = yield* Terminal
      const consoleFlags = {
        region: Option.getOrUndefined(flags.region),
        destination: Option.getOrUndefined(flags.destination),
        duration: Option.getOrUndefined(flags.duration)
      }
      const settings = yield* Settings
      const overrides = {
        federationEndpoint: Option.getOrUndefined(settings.federationEndpoint),
        consoleDestination: Option.getOrUndefined(settings.consoleDestination)
      }
      // Bad flags fail before a trust prompt or a login.
      yield* consoleTarget(consoleFlags, overrides)
      const plan = yield* resolvePlan(
        {
          ...flags,
          mode: Option.none(),
          showAuto: false,
          assumeRole: Option.none(),
          assumeRoleSessionName: Option.none(),
          assumeRoleDurationSeconds: Option.none(),
          assumeRoleExternalId: Option.none()
        },
        (digest) => ["mairu", "console", "--confirm-trust", digest, "auto"].map(shellQuote).join(" ")
      )
      const target = yield* consoleTarget({ ...consoleFlags, region: consoleFlags.region ?? plan.region }, overrides)
      const obtain = (yield* AgentClient).call(
        new GetCredentials({
          server: plan.server.id,
          role: plan.role,
          assumeRole: plan.assumeRole,
          noCache: false,
          via: "console"
        })
      )
      const credentials = yield* obtainWithLogin(plan, obtain, {
        login: true,
        grantType: undefined,
        browser: !flags.noBrowser
      })
      const signin = yield* consoleSigninUrl(credentials, target)
      if (!flags.print && !flags.noBrowser) {
        const printCommand = [
          "mairu",
          "console",
          "--print",
          ...Option.match(Option.filter(flags.server, (server) => !server.fromEnvironment), {
            onNone: () => [],
            onSome: (server) => ["--server", server.name]
          }),
          ...Object.entries(consoleFlags).flatMap(([name, value]) => value === undefined ? [] : [`--${name}`, value]),
          flags.role
        ].map(shellQuote).join(" ")
        const outcome = yield* Effect.scoped(Effect.gen(function*() {
          // The browser gets a one-time loopback link: the sign-in URL itself never
          // reaches a command line, where other local users could read it.
          const link = yield* serveOneTimeRedirect(
            signin,
            `This sign-in link was already used. For a new one, run: ${printCommand.replace(" --print", "")}`
          )
          const opened = yield* (yield* Browser).open(link.url)
          if (!opened && !(yield* link.wasFollowed)) return "not opened" as const
          return yield* link.followed.pipe(
            Effect.as("followed" as const),
            Effect.timeoutTo({
              duration: LINK_WAIT,
              onTimeout: () => "not followed" as const,
              onSuccess: (done) => done
            })
          )
        }))
        if (outcome === "followed") {
          yield* terminal.message(`Opened the AWS console as ${plan.role} (from ${plan.server.id}) in your browser.`)
          return
        }
        if (outcome === "not followed") {
          return yield* new LinkNotFollowed({ wait: LINK_WAIT, printCommand })
        }
      }
      if (!flags.print) {
        yield* terminal.message(`Open this URL within 15 minutes to sign in to the AWS console as ${plan.role}:`)
      }
      yield* terminal.product(Redacted.value(signin) + "\n")
    })
).pipe(
  Command.withDescription(
    "Sign in to the AWS Management Console as ROLE (for an hour unless --duration): opens a one-time link to the " +
      "sign-in page in your browser, or prints the sign-in URL."
  )
)
