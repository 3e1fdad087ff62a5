import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { type AgentError, InvalidArgument, NotAllowed } from "../Schemas/AgentErrors.js"
import type { AgentRequest, GetCredentials, ServerSummary } from "../Schemas/AgentProtocol.js"
import { ListServers, ResolveServer } from "../Schemas/AgentProtocol.js"
import type { RoleInfo } from "../Schemas/Credentials.js"
import type { SessionInfo } from "../Schemas/Session.js"
import { socketPathTooLong } from "../Wire/SocketPathLength.js"
import { checkSocketPath } from "../Wire/SocketTrust.js"
import type { Handle, RequestContext } from "./Handle.js"

/** One `--allow SERVER/ROLE` pattern; `*` stands for any text (slashes included). */
interface Pattern {
  readonly text: string
  readonly server: RegExp
  readonly role: RegExp
}

const glob = (text: string) =>
  new RegExp("^" + text.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$")

/** `SERVER/ROLE` patterns (the role may contain slashes: `contoso/123456789012/*`). */
export const parsePatterns = (allow: ReadonlyArray<string>): ReadonlyArray<Pattern> | InvalidArgument => {
  if (allow.length === 0) {
    return new InvalidArgument({ message: "a restricted socket needs at least one --allow SERVER/ROLE pattern" })
  }
  const patterns: Array<Pattern> = []
  for (const text of allow) {
    const slash = text.indexOf("/")
    if (slash <= 0 || slash === text.length - 1) {
      return new InvalidArgument({
        message: `--allow ${text}: expected SERVER/ROLE, e.g. acme/ReadOnly, acme/* or 'contoso/123456789012/*'`
      })
    }
    patterns.push({ text, server: glob(text.slice(0, slash)), role: glob(text.slice(slash + 1)) })
  }
  return patterns
}

/**
 * Why a restricted socket may not live at `socketPath`, or undefined: it must be
 * an absolute path in a folder that only the user can enter (owned by the user,
 * no group or other permissions), below folders that only the user or root can
 * change (not writable by group or others unless sticky).
 */
export const restrictedFolderProblem = (socketPath: string): string | undefined => {
  if (!path.isAbsolute(socketPath)) return `${socketPath} is not an absolute path`
  const tooLong = socketPathTooLong(socketPath, "choose a shorter PATH")
  if (tooLong !== undefined) return tooLong
  const dir = path.dirname(socketPath)
  const uid = process.getuid?.()
  const fix = `create it with: mkdir -m 700 ${dir}`
  const stat = fs.statSync(dir, { throwIfNoEntry: false })
  if (stat === undefined) return `the folder ${dir} does not exist; ${fix}`
  if (!stat.isDirectory()) return `${dir} is not a folder`
  if (uid !== undefined && stat.uid !== uid) return `the folder ${dir} belongs to another user (uid ${stat.uid})`
  if ((stat.mode & 0o077) !== 0) {
    return `the folder ${dir} is open to other users (mode ${
      (stat.mode & 0o777).toString(8)
    }); fix it with: chmod 700 ${dir}`
  }
  // The folders above it, and any link on the way, as for every agent socket.
  const trust = checkSocketPath(socketPath)
  return trust._tag === "Untrusted" ? trust.message : undefined
}

/**
 * The requests a restricted socket answers: credentials, roles, sessions and
 * refreshes of the servers and roles its patterns allow, logins and logouts of
 * those only with `allowLogin`, and nothing else (never the audit trail: a remote
 * host does not read what the agent's own machine did). A server it does not serve
 * and a server the agent does not know get the same answer, so that it never tells
 * which other servers exist; the agent's notices (skipped files) are not passed on.
 * Each credentials request it refuses goes to `refused`, for the audit trail.
 */
export const restrictHandle = (
  handle: Handle,
  patterns: ReadonlyArray<Pattern>,
  options: {
    readonly allowLogin: boolean
    readonly refused: (request: GetCredentials, context: RequestContext, error: AgentError) => Effect.Effect<void>
  }
): Handle => {
  const { allowLogin } = options
  const served = patterns.map((pattern) => pattern.text).join(", ")
  const serverAllowed = (id: string) => patterns.some((pattern) => pattern.server.test(id))
  const roleAllowed = (id: string, role: string) =>
    patterns.some((pattern) => pattern.server.test(id) && pattern.role.test(role))
  const refuse = (what: string) =>
    Effect.fail(
      new NotAllowed({ message: `${what} is not allowed through this restricted socket (it serves ${served})` })
    )
  const unavailable = (name: string) =>
    Effect.fail(
      new NotAllowed({
        message: `no server "${name}" is available through this restricted socket (it serves ${served})`
      })
    )

  return (request, context) => {
    const quiet: RequestContext = { ...context, notices: [] }
    /** The id of an allowed server that `name` stands for; the same failure for every other name. */
    const allowedServer = (name: string) =>
      (handle(new ResolveServer({ server: name }), quiet) as Effect.Effect<ServerSummary, AgentError>).pipe(
        Effect.catchAll(() => unavailable(name)),
        Effect.flatMap((server) => serverAllowed(server.id) ? Effect.succeed(server.id) : unavailable(name))
      )
    switch (request._tag) {
      case "Hello":
        return handle(request, quiet)
      case "ListSessions":
        return (handle(request, quiet) as Effect.Effect<ReadonlyArray<SessionInfo>, AgentError>).pipe(
          Effect.map((sessions) => sessions.filter((session) => serverAllowed(session.serverId)))
        )
      case "ListServers":
        return (handle(new ListServers(), quiet) as Effect.Effect<typeof ListServers.success.Type, AgentError>).pipe(
          Effect.map((listed) => ({
            serversDir: listed.serversDir,
            servers: listed.servers.filter((server) => serverAllowed(server.id)),
            problems: []
          }))
        )
      case "GetCredentials":
        return allowedServer(request.server).pipe(
          Effect.flatMap((id) =>
            roleAllowed(id, request.role) ? Effect.succeed(id) : refuse(`role ${request.role} of ${id}`)
          ),
          Effect.tapError((error) => options.refused(request, quiet, error)),
          Effect.flatMap((id) => handle({ ...request, server: id } as AgentRequest, quiet))
        )
      case "RecordHandOuts":
        return allowedServer(request.server).pipe(
          Effect.flatMap((id) =>
            roleAllowed(id, request.role)
              ? handle({ ...request, server: id } as AgentRequest, quiet)
              : refuse(`role ${request.role} of ${id}`)
          )
        )
      case "ReadAudit":
        return refuse("reading the audit trail")
      case "ListRoles":
        return allowedServer(request.server).pipe(
          Effect.flatMap((id) =>
            (handle({ ...request, server: id } as AgentRequest, quiet) as Effect.Effect<
              ReadonlyArray<RoleInfo>,
              AgentError
            >)
              .pipe(Effect.map((roles) => roles.filter((role) => roleAllowed(id, role.name))))
          )
        )
      case "ResolveServer":
      case "RefreshSession":
      case "WatchSession":
        return allowedServer(request.server).pipe(
          Effect.flatMap((id) => handle({ ...request, server: id } as AgentRequest, quiet))
        )
      case "StartLogin":
      case "Logout":
        if (!allowLogin) return refuse(request._tag === "StartLogin" ? "logging in" : "logging out")
        return allowedServer(request.server).pipe(
          Effect.flatMap((id) => handle({ ...request, server: id } as AgentRequest, quiet))
        )
      case "CompleteLogin":
        return allowLogin ? handle(request, quiet) : refuse("logging in")
      case "RegisterClient":
        return refuse("setting up a server")
      case "OpenRestrictedSocket":
        return refuse("opening another socket")
      case "Shutdown":
        return refuse("stopping the agent")
    }
  }
}
