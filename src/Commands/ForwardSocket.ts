import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { OpenRestrictedSocket } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Terminal } from "../Services/Terminal.js"

export const forwardSocketCommand = Command.make(
  "forward-socket",
  {
    allow: Options.text("allow").pipe(
      Options.withDescription(
        "SERVER/ROLE the socket serves (repeatable; * matches any text): acme/ReadOnly, 'contoso/123456789012/*'"
      ),
      Options.repeated
    ),
    allowLogin: Options.boolean("allow-login").pipe(
      Options.withDescription("Also let clients of the socket log in to and out of the allowed servers")
    ),
    path: Args.text({ name: "PATH" }).pipe(
      Args.withDescription("Where to open the socket: a file in a folder only you can enter (mkdir -m 700)")
    )
  },
  ({ allow, allowLogin, path: socketPath }) =>
    Effect.gen(function*() {
      const terminal = yield* Terminal
      const absolute = path.resolve(socketPath)
      const { closed, value } = yield* (yield* AgentClient).hold(
        new OpenRestrictedSocket({ path: absolute, allow, allowLogin })
      )
      yield* terminal.message(
        `Serving ${allow.join(", ")}${allowLogin ? " (logins allowed)" : ""} at ${value.path} until this command ` +
          `ends (Ctrl-C) or the agent stops. Forward it, e.g.:\n` +
          `  ssh -o StreamLocalBindUnlink=yes -R /home/YOU/.mairu/agent.sock:${value.path} HOST`
      )
      yield* closed
      yield* terminal.message(`The agent closed ${value.path} (it stopped).`)
    }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "Open a socket of the agent that serves only the given SERVER/ROLE patterns (credentials, roles, sessions), for " +
      "forwarding to a host or container you trust less; it refuses everything else and closes when this command ends."
  )
)
