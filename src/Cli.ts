import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { reportFailures } from "./Client/Failure.js"
import { expandShortVersion } from "./Client/ShortVersion.js"
import { agentCommand } from "./Commands/Agent.js"
import { auditCommand } from "./Commands/Audit.js"
import { consoleCommand } from "./Commands/Console.js"
import { credentialProcessCommand } from "./Commands/CredentialProcess.js"
import { execCommand } from "./Commands/Exec.js"
import { forwardSocketCommand } from "./Commands/ForwardSocket.js"
import { killAgentCommand } from "./Commands/KillAgent.js"
import { listRolesCommand } from "./Commands/ListRoles.js"
import { listSessionsCommand } from "./Commands/ListSessions.js"
import { loginCommand } from "./Commands/Login.js"
import { logoutCommand } from "./Commands/Logout.js"
import { profilesCommand } from "./Commands/Profiles.js"
import { refreshCommand } from "./Commands/Refresh.js"
import { setupSsoCommand } from "./Commands/SetupSso.js"
import { showCommand } from "./Commands/Show.js"
import { statusCommand } from "./Commands/Status.js"
import { splitExecArgs } from "./Exec/ExecArgv.js"
import { ExecCommandLine } from "./Services/ExecCommandLine.js"
import { VERSION } from "./Version.js"

export const mairuCommand = Command.make("mairu").pipe(
  Command.withDescription(
    "On-memory AWS credentials agent and executor for AWS IAM Identity Center and Mairu API credential servers."
  ),
  Command.withSubcommands([
    execCommand,
    credentialProcessCommand,
    loginCommand,
    logoutCommand,
    listSessionsCommand,
    listRolesCommand,
    profilesCommand,
    refreshCommand,
    agentCommand,
    killAgentCommand,
    forwardSocketCommand,
    showCommand,
    setupSsoCommand,
    statusCommand,
    consoleCommand,
    auditCommand
  ])
)

/**
 * Runs mairu's commands on `argv` (the process's, executable and script first) and tells the
 * user about a command's failure, which ends with exit 1. The command `exec` runs is split
 * off before parsing, so that its words reach it untouched; `-V` is `--version` everywhere.
 */
export const cli = (argv: ReadonlyArray<string>) => {
  const args = argv.slice(2)
  const split = args[0] === "exec" ? splitExecArgs(args.slice(1)) : undefined
  const parsed = split === undefined
    ? expandShortVersion(args)
    : ["exec", ...expandShortVersion(split.mairuArgs.slice(0, -1)), split.mairuArgs.at(-1)!]
  const execCommandLine = split === undefined
    ? { options: [], command: [] }
    : { options: split.mairuArgs.slice(0, -1), command: split.command }
  return Command.run(mairuCommand, { name: "mairu", version: VERSION })([...argv.slice(0, 2), ...parsed]).pipe(
    reportFailures,
    Effect.provideService(ExecCommandLine, execCommandLine)
  )
}
