import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { chainFromFlags, roleChainOptions } from "../Client/RoleChainOptions.js"
import { credentialProcessJson } from "../Credentials/CredentialProcessJson.js"
import { GetCredentials } from "../Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"

const productOf = (credentials: AwsCredentials): string =>
  credentialProcessJson({
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: Redacted.value(credentials.secretAccessKey),
    sessionToken: credentials.sessionToken === undefined ? undefined : Redacted.value(credentials.sessionToken),
    expiration: credentials.expiration
  })

export const credentialProcessCommand = Command.make(
  "credential-process",
  {
    ...roleChainOptions,
    noCache: Options.boolean("no-cache").pipe(
      Options.withDescription("Fetch new credentials instead of using the agent's cached ones")
    ),
    server: Args.text({ name: "SERVER" }).pipe(
      Args.withDescription("Server id or url, as the agent's servers.d names it")
    ),
    role: Args.text({ name: "ROLE" }).pipe(Args.withDescription("Role to assume, as the server names it"))
  },
  ({ noCache, role, server: name, ...chainFlags }) =>
    Effect.gen(function*() {
      const assumeRole = yield* chainFromFlags(chainFlags)
      const credentials = yield* (yield* AgentClient).call(
        new GetCredentials({ server: name, role, assumeRole, noCache, via: "credential-process" })
      )
      yield* (yield* Terminal).product(productOf(credentials) + "\n")
    })
).pipe(
  Command.withDescription(
    "Print credentials for ROLE as the JSON that an AWS credential_process must print. " +
      "It never starts a login: when one is needed it prints the mairu login command and exits 1."
  )
)
