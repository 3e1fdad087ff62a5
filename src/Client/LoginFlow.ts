import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { CompleteLogin, StartLogin } from "../Schemas/AgentProtocol.js"
import type { GrantType, GrantTypeFlag } from "../Schemas/ServerConfig.js"
import type { LoginChallenge } from "../Schemas/Session.js"
import { unopenableUrlReason } from "../Schemas/UrlPolicy.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Browser } from "../Services/Browser.js"
import { Settings } from "../Services/Settings.js"
import { Terminal } from "../Services/Terminal.js"
import { InvalidOption, ServerPageRefused } from "./Errors.js"
import { formatTime } from "./Format.js"

export const grantTypeOf = (flag: GrantTypeFlag | undefined): GrantType | undefined =>
  flag === undefined ? undefined : flag === "code" ? "code_grant" : "device_grant"

/** `--no-browser`, for the commands that may log in. */
export const noBrowserOption = Options.boolean("no-browser").pipe(
  Options.withDescription("Do not open the login page in a browser; only print it (also: MAIRU_NO_BROWSER)")
)

const instructions = (serverId: string, challenge: LoginChallenge): string => {
  switch (challenge._tag) {
    case "CodeGrant":
      return `To log in to ${serverId}, open this URL in your browser:\n  ${challenge.url}`
    case "DeviceGrant":
      return `To log in to ${serverId}, open ${challenge.verificationUriComplete ?? challenge.verificationUri}\n` +
        `and confirm the code: ${challenge.userCode}` +
        (challenge.verificationUriComplete === undefined ? "" : ` (or enter it at ${challenge.verificationUri})`)
  }
}

/**
 * Fails as the server's fault when a page of the challenge may not be opened or shown.
 * The agent checks them as it builds the challenge; an agent elsewhere (a forwarded
 * socket) or of another version is not taken on trust.
 */
const checkChallenge = (serverId: string, challenge: LoginChallenge) => {
  const pages = challenge._tag === "CodeGrant"
    ? { url: challenge.url }
    : {
      verification_uri: challenge.verificationUri,
      verification_uri_complete: challenge.verificationUriComplete
    }
  for (const [field, url] of Object.entries(pages)) {
    const reason = url === undefined ? undefined : unopenableUrlReason(url)
    if (reason !== undefined) return Effect.fail(new ServerPageRefused({ serverId, field, reason }))
  }
  return Effect.void
}

/** `MAIRU_LOCAL_PORT`: the code grant's callback port on the agent's machine. */
const localPortFromEnv = Effect.flatMap(Settings, (settings) => {
  if (Option.isNone(settings.localPort)) return Effect.succeed(undefined)
  const value = settings.localPort.value
  const port = Number(value)
  return Number.isInteger(port) && port > 0 && port < 65536
    ? Effect.succeed(port)
    : Effect.fail(new InvalidOption({ option: "MAIRU_LOCAL_PORT", value, problem: "NotAPort" }))
})

/**
 * Asks the agent for a login to the server it knows as `server` (id or url), shows
 * the user what to open, and waits until the agent has the tokens. A login already
 * under way for the server is joined. The agent runs the login: the code grant's
 * callback listens on the agent's machine, wherever this command runs.
 */
export const runLogin = (server: string, grantType: GrantType | undefined, options: { readonly browser: boolean }) =>
  Effect.gen(function*() {
    const agent = yield* AgentClient
    const terminal = yield* Terminal
    const localPort = yield* localPortFromEnv
    const { challenge, joined, serverId } = yield* agent.call(new StartLogin({ server, grantType, localPort }))
    yield* checkChallenge(serverId, challenge)
    if (joined) yield* terminal.message(`A login to ${serverId} is already in progress; joining it.`)
    yield* terminal.message(instructions(serverId, challenge))
    // Whoever started the login opened the page; joining it must not open another tab.
    if (options.browser && !joined) {
      const url = challenge._tag === "CodeGrant"
        ? challenge.url
        : challenge.verificationUriComplete ?? challenge.verificationUri
      if (yield* (yield* Browser).open(url)) yield* terminal.message("Opened it in your browser.")
    }
    const session = yield* agent.call(new CompleteLogin({ handle: challenge.handle }))
    yield* terminal.message(`Logged in to ${serverId} (session valid until ${formatTime(session.expiresAt, false)}).`)
    return session
  })
