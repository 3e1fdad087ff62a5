// `servers.d` files read and decoded into server configurations: by the client (status, show)
// and by the agent, which resolves the server names its clients send.
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import { readOwnFile } from "../Files/FileOwner.js"
import { InvalidArgument, NotFound } from "./AgentErrors.js"
import { describeParseError } from "./ParseIssues.js"
import { fromFile, type ServerConfig, ServerConfigFile } from "./ServerConfig.js"
import { serverUrlProblem } from "./UrlPolicy.js"

/** A `servers.d` file that could not be used, and why. */
export interface ConfigProblem {
  readonly path: string
  readonly reason: string
}

/** Every server of a `servers.d` folder, with the files that could not be used. */
export interface LoadedServers {
  readonly servers: ReadonlyArray<ServerConfig>
  readonly problems: ReadonlyArray<ConfigProblem>
}

const decodeFile = Schema.decodeUnknownEither(ServerConfigFile, { errors: "all" })

const parseJson = (text: string): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(text))
  } catch (error) {
    return Either.left(`not valid JSON (${(error as Error).message})`)
  }
}

const describeIssues = (error: ParseResult.ParseError) => describeParseError(error, "the file")

const parseServerFile = (file: string, text: string): Either.Either<ServerConfig, string> =>
  parseJson(text).pipe(
    Either.flatMap((json) => Either.mapLeft(decodeFile(json), describeIssues)),
    Either.flatMap((raw) => fromFile(raw, file))
  )

/** Editor backups, swap files and the like, which sit next to server files but are not ones. */
const NOT_A_SERVER_FILE = /(^\.|~$|\.(swp|swo|swx|bak|tmp|orig|rej|dpkg-old|dpkg-dist|dpkg-new|rpmnew|rpmsave)$)/

const pointsToFile = (file: string) => {
  try {
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

/**
 * The server files of `servers.d`: every regular file (the original Mairu reads
 * them whatever their extension), except hidden files and editor leftovers.
 */
export const serverFileNames = (serversDir: string): Array<string> =>
  fs.readdirSync(serversDir, { withFileTypes: true })
    .filter((entry) => !NOT_A_SERVER_FILE.test(entry.name))
    .filter((entry) => entry.isFile() || (entry.isSymbolicLink() && pointsToFile(path.join(serversDir, entry.name))))
    .map((entry) => entry.name)
    .sort()

export const loadServers = (serversDir: string): LoadedServers => {
  let names: Array<string>
  try {
    names = serverFileNames(serversDir)
  } catch {
    return { servers: [], problems: [] }
  }
  const servers: Array<ServerConfig> = []
  const problems: Array<ConfigProblem> = []
  for (const name of names) {
    const file = path.join(serversDir, name)
    const read = readOwnFile(file, { notWritableByOthers: true })
    if (!read.ok) {
      problems.push({ path: file, reason: read.reason })
      continue
    }
    Either.match(parseServerFile(file, read.bytes.toString("utf8")), {
      onLeft: (reason) => problems.push({ path: file, reason }),
      onRight: (server) => {
        const insecure = serverUrlProblem(server)
        if (insecure === undefined) servers.push(server)
        else problems.push({ path: file, reason: insecure })
      }
    })
  }
  return { servers, problems }
}

const sameUrl = (name: string) => {
  try {
    const url = new URL(name).toString()
    return (server: ServerConfig) => server.url === url || server.url === name
  } catch {
    return (server: ServerConfig) => server.url === name
  }
}

/** `MAIRU_LOCAL_PORT` beats the configured callback port. */
export const withLocalPortOverride = (server: ServerConfig, localPort: number | undefined): ServerConfig => {
  if (localPort === undefined) return server
  if (server._tag === "AwsSso") return { ...server, awsSso: { ...server.awsSso, localPort } }
  if (server.oauth.codeGrant === undefined) return server
  return { ...server, oauth: { ...server.oauth, codeGrant: { ...server.oauth.codeGrant, localPort } } }
}

export const findServer = (
  loaded: LoadedServers,
  name: string,
  serversDir: string
): Either.Either<ServerConfig, NotFound | InvalidArgument> => {
  const files = (servers: ReadonlyArray<ServerConfig>) => servers.map((s) => path.basename(s.path)).join(", ")
  const byId = loaded.servers.filter((server) => server.id === name)
  if (byId.length > 1) {
    return Either.left(
      new InvalidArgument({
        message: `server id "${name}" is defined ${byId.length} times (${files(byId)} in ${serversDir}); ` +
          `give each file its own "id"`
      })
    )
  }
  if (byId[0] !== undefined) return Either.right(byId[0])
  const byUrl = loaded.servers.filter(sameUrl(name))
  if (byUrl.length > 1) {
    return Either.left(
      new InvalidArgument({
        message: `server url "${name}" is ambiguous: ${byUrl.length} servers use it (${files(byUrl)}); ` +
          `use the id instead: ${byUrl.map((s) => s.id).join(" or ")}`
      })
    )
  }
  if (byUrl[0] !== undefined) return Either.right(byUrl[0])
  const known = [...new Set(loaded.servers.map((s) => s.id))]
  return Either.left(
    new NotFound({
      message: `no server "${name}" is configured in ${serversDir}` +
        (known.length > 0 ? ` (configured: ${known.join(", ")})` : "; add a servers.d file or run mairu setup-sso")
    })
  )
}
