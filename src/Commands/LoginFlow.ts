import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { CompleteLogin, StartLogin } from "../Schemas/AgentProtocol.js"
import type { GrantType, GrantTypeFlag, ServerConfig } from "../Schemas/ServerConfig.js"
import type { LoginChallenge } from "../Schemas/Session.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Browser } from "../Services/Browser.js"
import { Terminal } from "../Services/Terminal.js"
import { formatTime } from "./Format.js"

export const grantTypeOf = (flag: GrantTypeFlag | undefined): GrantType | undefined =>
  flag === undefined ? undefined : flag === "code" ? "code_grant" : "device_grant"

/** `--no-browser`, for the commands that may log in. */
export const noBrowserOption = Options.boolean("no-browser").pipe(
  Options.withDescription("Do not open the login page in a browser; only print it (also: MAIRU_NO_BROWSER)")
)

const instructions = (server: ServerConfig, challenge: LoginChallenge): string => {
  switch (challenge._tag) {
    case "CodeGrant":
      return `To log in to ${server.id}, open this URL in your browser:\n  ${challenge.url}`
    case "DeviceGrant":
      return `To log in to ${server.id}, open ${challenge.verificationUriComplete ?? challenge.verificationUri}\n` +
        `and confirm the code: ${challenge.userCode}` +
        (challenge.verificationUriComplete === undefined ? "" : ` (or enter it at ${challenge.verificationUri})`)
  }
}

/**
 * Asks the agent for a login, shows the user what to open, and waits until the
 * agent has the tokens. A login already under way for the server is joined.
 */
export const runLogin = (server: ServerConfig, grantType: GrantType | undefined, options: { readonly browser: boolean }) =>
  Effect.gen(function*() {
    const agent = yield* AgentClient
    const terminal = yield* Terminal
    const { challenge, joined } = yield* agent.call(new StartLogin({ server, grantType }))
    if (joined) yield* terminal.message(`A login to ${server.id} is already in progress; joining it.`)
    yield* terminal.message(instructions(server, challenge))
    // Whoever started the login opened the page; joining it must not open another tab.
    if (options.browser && !joined) {
      const url = challenge._tag === "CodeGrant" ? challenge.url : challenge.verificationUriComplete ?? challenge.verificationUri
      if (yield* (yield* Browser).open(url)) yield* terminal.message("Opened it in your browser.")
    }
    const session = yield* agent.call(new CompleteLogin({ handle: challenge.handle }))
    yield* terminal.message(`Logged in to ${server.id} (session valid until ${formatTime(session.expiresAt, false)}).`)
    return session
  })
