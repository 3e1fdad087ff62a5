import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { isAwsRegion } from "../Client/AwsRegion.js"
import { FileNotWritten, InvalidOption, ServerFileExists } from "../Client/Errors.js"
import { formatTime } from "../Client/Format.js"
import { RegisterClient } from "../Schemas/AgentProtocol.js"
import { SERVER_ID } from "../Schemas/ServerId.js"
import { insecureUrlReason } from "../Schemas/UrlPolicy.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Paths } from "../Services/Paths.js"
import { Terminal } from "../Services/Terminal.js"

export const setupSsoCommand = Command.make(
  "setup-sso",
  {
    region: Options.text("region").pipe(
      Options.withAlias("r"),
      Options.withDescription("The IAM Identity Center instance's region, e.g. us-east-1")
    ),
    startUrl: Options.text("start-url").pipe(
      Options.withAlias("u"),
      Options.withDescription("The AWS access portal URL, e.g. https://my-org.awsapps.com/start")
    ),
    scope: Options.text("scope").pipe(
      Options.withAlias("s"),
      Options.withDescription("An OAuth scope to ask for (repeatable; default sso:account:access)"),
      Options.repeated
    ),
    overwrite: Options.boolean("overwrite").pipe(
      Options.withAlias("y"),
      Options.withAlias("yes"),
      Options.withDescription("Overwrite an existing server file")
    ),
    id: Args.text({ name: "ID" }).pipe(Args.withDescription("The server id to use in mairu commands"))
  },
  ({ id, overwrite, region, scope, startUrl }) =>
    Effect.gen(function*() {
      const terminal = yield* Terminal
      const { serversDir } = yield* Paths
      if (!SERVER_ID.test(id)) {
        return yield* new InvalidOption({ option: "ID", value: id, problem: "NotAServerId" })
      }
      if (!isAwsRegion(region)) {
        return yield* new InvalidOption({ option: "--region", value: region, problem: "NotAnIdentityCenterRegion" })
      }
      const url = yield* Effect.try({
        try: () => new URL(startUrl),
        catch: () => new InvalidOption({ option: "--start-url", value: startUrl, problem: "NotAStartUrl" })
      })
      const insecure = insecureUrlReason(url.toString())
      if (insecure !== undefined) {
        return yield* new InvalidOption({
          option: "--start-url",
          value: startUrl,
          problem: "InsecureStartUrl",
          detail: insecure
        })
      }
      const file = path.join(serversDir, `${id}.json`)
      if (fs.existsSync(file) && !overwrite) {
        return yield* new ServerFileExists({ path: file })
      }
      // The file as the original Mairu's setup-sso writes it, so either tool can read it.
      const config = {
        url: url.toString(),
        id,
        aws_sso: { region, scope: scope.length > 0 ? scope : ["sso:account:access"], local_port: null }
      }
      yield* Effect.try({
        try: () => {
          fs.mkdirSync(serversDir, { recursive: true })
          fs.writeFileSync(file, JSON.stringify(config, null, 2) + "\n", { mode: 0o644 })
          // Writable by you only, whatever the umask or the file it replaced: mairu skips server files others can change.
          fs.chmodSync(file, fs.statSync(file).mode & 0o755)
        },
        catch: (error) => new FileNotWritten({ path: file, reason: String(error) })
      })
      yield* terminal.message(`Wrote ${file}.`)
      // Both clients, as the original registers them: the device grant's login then needs no registration either.
      const agent = yield* AgentClient
      const { expiresAt } = yield* agent.call(new RegisterClient({ server: id, grantType: "code_grant" }))
      yield* agent.call(new RegisterClient({ server: id, grantType: "device_grant" }))
      yield* terminal.message(
        `Registered mairu as an OAuth client of ${url.host} (until ${formatTime(expiresAt, false)}). ` +
          `Log in with: mairu login ${id}`
      )
    })
).pipe(
  Command.withDescription("Configure an AWS IAM Identity Center instance as server ID and register mairu with it.")
)
