import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Unknown } from "../Schemas/AgentErrors.js"
import { GetCredentials } from "../Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Browser } from "../Services/Browser.js"
import { Terminal } from "../Services/Terminal.js"
import { shellQuote } from "./ExecCommandLine.js"
import { reportFailures } from "./Failure.js"
import { noBrowserOption } from "./LoginFlow.js"
import { obtainWithLogin, resolvePlan } from "./RolePlan.js"

/** The AWS federation endpoint (`MAIRU_FEDERATION_ENDPOINT` moves it, e.g. to the local emulator). */
const federationEndpoint = () => process.env.MAIRU_FEDERATION_ENDPOINT || "https://signin.aws.amazon.com/federation"
const consoleDestination = () => process.env.MAIRU_CONSOLE_DESTINATION || "https://console.aws.amazon.com/"

/** A one-hour console session: getSigninToken with the role's credentials, then the login URL. */
export const consoleSigninUrl = (credentials: AwsCredentials) =>
  Effect.gen(function*() {
    const endpoint = federationEndpoint()
    if (credentials.sessionToken === undefined) {
      return yield* new Unknown({ message: "these credentials have no session token, which the AWS console sign-in needs" })
    }
    const tokenUrl = new URL(endpoint)
    tokenUrl.searchParams.set("Action", "getSigninToken")
    tokenUrl.searchParams.set("SessionDuration", "3600")
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
      catch: (error) => new Unknown({ message: `cannot get a sign-in token from ${endpoint}: ${String(error)}` })
    })
    let token: unknown
    try {
      token = (JSON.parse(answer.body) as { SigninToken?: unknown }).SigninToken
    } catch {
      token = undefined
    }
    if (answer.status !== 200 || typeof token !== "string") {
      return yield* new Unknown({ message: `${endpoint} refused a sign-in token (HTTP ${answer.status})` })
    }
    const login = new URL(endpoint)
    login.searchParams.set("Action", "login")
    login.searchParams.set("Issuer", "mairu")
    login.searchParams.set("Destination", consoleDestination())
    login.searchParams.set("SigninToken", token)
    return login.toString()
  })

export const consoleCommand = Command.make(
  "console",
  {
    server: Options.text("server").pipe(
      Options.withDescription("Server id or url (default: $MAIRU_SERVER; with auto: the file's server)"),
      Options.optional
    ),
    print: Options.boolean("print").pipe(Options.withDescription("Print the sign-in URL instead of opening it")),
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
      const obtain = (yield* AgentClient).call(
        new GetCredentials({ server: plan.server.id, role: plan.role, assumeRole: plan.assumeRole, noCache: false })
      )
      const credentials = yield* obtainWithLogin(plan, obtain, { login: true, grantType: undefined, browser: !flags.noBrowser })
      const url = yield* consoleSigninUrl(credentials)
      if (!flags.print && !flags.noBrowser && (yield* (yield* Browser).open(url))) {
        yield* terminal.message(`Opened the AWS console as ${plan.role} (from ${plan.server.id}) in your browser.`)
        return
      }
      if (!flags.print) yield* terminal.message(`Open this URL within 15 minutes to sign in to the AWS console as ${plan.role}:`)
      yield* terminal.product(url + "\n")
    }).pipe(reportFailures)
).pipe(
  Command.withDescription(
    "Sign in to the AWS Management Console as ROLE for an hour: opens the sign-in URL in your browser, or prints it."
  )
)
