import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { grantTypeOf, noBrowserOption, runLogin } from "../Client/LoginFlow.js"
import type { GrantTypeFlag } from "../Schemas/ServerConfig.js"

/** The original Mairu's spellings: `device-code` and `aws_sso` mean the device grant. */
const GRANT_TYPE_SPELLINGS: Array<[string, GrantTypeFlag]> = [
  ["code", "code"],
  ["device_code", "device_code"],
  ["device-code", "device_code"],
  ["aws_sso", "device_code"]
]

export const oauthGrantTypeOption = Options.choiceWithValue("oauth-grant-type", GRANT_TYPE_SPELLINGS).pipe(
  Options.withDescription(
    "OAuth grant to log in with: code, or device_code (also device-code, aws_sso) " +
      "(default: the server's default_grant_type, else code)"
  ),
  Options.optional
)

export const loginCommand = Command.make(
  "login",
  {
    grantType: oauthGrantTypeOption,
    noBrowser: noBrowserOption,
    server: Args.text({ name: "SERVER" }).pipe(
      Args.withDescription("Server id or url, as the agent's servers.d names it")
    )
  },
  ({ grantType, noBrowser, server: name }) =>
    Effect.gen(function*() {
      yield* runLogin(name, grantTypeOf(Option.getOrUndefined(grantType)), { browser: !noBrowser })
    })
).pipe(Command.withDescription("Log in to a credential server; the agent keeps the session in memory."))
