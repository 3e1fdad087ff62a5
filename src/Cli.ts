import * as Command from "@effect/cli/Command"
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
