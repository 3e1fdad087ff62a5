// The dev server's command line: its options with their defaults, read with node:util's parseArgs
// (its tokens, so that every mistake is told in one line of our own).
import { parseArgs } from "node:util"
import { SERVER_ID } from "../Schemas/ServerId.js"
import { serverFile } from "./ServerFile.js"

export interface DevServerOptions {
  readonly port: number
  readonly autoApprove: boolean
  readonly credentialTtl: number
  readonly accessTokenTtl: number
  readonly refreshTokenTtl: number
  readonly ssoClientTtl: number
  readonly ssoAccessTokenTtl: number
  /** The `servers.d` id to write a file for, if asked. */
  readonly writeServerFile: string | undefined
}

export type ParsedArgs =
  | { readonly _tag: "Run"; readonly options: DevServerOptions }
  | { readonly _tag: "Help" }
  | { readonly _tag: "UsageError"; readonly message: string }

class UsageError {
  constructor(readonly message: string) {}
}

const port = (name: string, value: string) => {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`--${name} ${value} is not a port (0 to 65535)`)
  return n
}

const seconds = (name: string, value: string) => {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1) {
    throw new UsageError(`--${name} ${value} is not a whole number of seconds (1 or more)`)
  }
  return n
}

const serverId = (name: string, value: string) => {
  if (!SERVER_ID.test(value)) {
    throw new UsageError(`--${name} ${value} cannot be a server id: use letters, digits, ".", "_" and "-"`)
  }
  return value
}

interface ValueOption {
  readonly placeholder: string
  readonly fallback?: string
  readonly description: string
}

const ttl = (description: string, fallback: number) => ({
  placeholder: "SECONDS",
  fallback: String(fallback),
  description
})

/** The options that take a value, with their defaults (what --help shows). */
const VALUE_OPTIONS = {
  port: { placeholder: "PORT", fallback: "0", description: "the port on 127.0.0.1; 0 takes a free one at each start" },
  "credential-ttl": ttl("how long AWS credentials from the Mairu API and the STS last", 3600),
  "access-token-ttl": ttl("how long OAuth access tokens last", 3600),
  "refresh-token-ttl": ttl("how long OAuth refresh tokens last", 86400),
  "sso-client-ttl": ttl("how long AWS IAM Identity Center client registrations last", 90 * 24 * 3600),
  "sso-access-token-ttl": ttl("how long AWS IAM Identity Center access tokens last", 3600),
  "write-server-file": {
    placeholder: "ID",
    description: "write servers.d/ID.json for this server (it replaces only a file it wrote)"
  }
} satisfies Record<string, ValueOption>

/** The options that take no value. */
const FLAGS = {
  "auto-approve": "approve each login at once, with no page to click",
  help: "print this help"
}

type ValueName = keyof typeof VALUE_OPTIONS
type FlagName = keyof typeof FLAGS

const isValueName = (name: string): name is ValueName => Object.hasOwn(VALUE_OPTIONS, name)
const isFlagName = (name: string): name is FlagName => Object.hasOwn(FLAGS, name)

/** The arguments after `node dist/devserver.js`, as options, a request for help, or the one mistake to tell. */
export const parseDevServerArgs = (args: ReadonlyArray<string>): ParsedArgs => {
  const { tokens } = parseArgs({
    args: [...args],
    options: {
      ...Object.fromEntries(Object.keys(VALUE_OPTIONS).map((name) => [name, { type: "string" as const }])),
      ...Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: "boolean" as const }])),
      help: { type: "boolean", short: "h" }
    },
    strict: false,
    allowPositionals: true,
    tokens: true
  })
  try {
    const values = new Map<ValueName, string>()
    const flags = new Set<FlagName>()
    for (const token of tokens) {
      if (token.kind === "option-terminator") continue
      if (token.kind === "positional") throw new UsageError(`unexpected argument ${token.value}`)
      if (isFlagName(token.name)) {
        if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`)
        flags.add(token.name)
      } else if (isValueName(token.name)) {
        if (token.value === undefined) {
          throw new UsageError(
            `${token.rawName} needs a value: ${token.rawName} ${VALUE_OPTIONS[token.name].placeholder}`
          )
        }
        values.set(token.name, token.value)
      } else {
        throw new UsageError(`unknown option ${token.rawName}`)
      }
    }
    if (flags.has("help")) return { _tag: "Help" }
    const given = (name: Exclude<ValueName, "write-server-file">) => values.get(name) ?? VALUE_OPTIONS[name].fallback
    const id = values.get("write-server-file")
    return {
      _tag: "Run",
      options: {
        port: port("port", given("port")),
        autoApprove: flags.has("auto-approve"),
        credentialTtl: seconds("credential-ttl", given("credential-ttl")),
        accessTokenTtl: seconds("access-token-ttl", given("access-token-ttl")),
        refreshTokenTtl: seconds("refresh-token-ttl", given("refresh-token-ttl")),
        ssoClientTtl: seconds("sso-client-ttl", given("sso-client-ttl")),
        ssoAccessTokenTtl: seconds("sso-access-token-ttl", given("sso-access-token-ttl")),
        writeServerFile: id === undefined ? undefined : serverId("write-server-file", id)
      }
    }
  } catch (error) {
    if (error instanceof UsageError) return { _tag: "UsageError", message: error.message }
    throw error
  }
}

/** `--help`: what the server is, every option with its default, and a servers.d file for it in `serversDir`. */
export const helpText = (serversDir: string) => {
  const rows: Array<[string, string]> = [
    ...Object.entries(VALUE_OPTIONS).map(([name, option]): [string, string] => [
      `--${name} ${option.placeholder}`,
      "fallback" in option ? `${option.description} (default: ${option.fallback})` : option.description
    ]),
    ["--auto-approve", `${FLAGS["auto-approve"]} (default: off)`],
    ["-h, --help", FLAGS.help]
  ]
  const width = Math.max(...rows.map(([left]) => left.length)) + 2
  return [
    "The bundled local credential server: try mairu without an identity provider (the tests use it too).",
    "On 127.0.0.1 only, keeping everything in memory, it serves an OAuth 2.0 authorization server (code grant",
    "with PKCE, device grant, refresh tokens), the Mairu API, an STS that checks SigV4 signatures, and an",
    "AWS IAM Identity Center emulator.",
    "",
    "Usage: npm run devserver -- [OPTIONS]    (or: node dist/devserver.js [OPTIONS])",
    "",
    "Options:",
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    "",
    "As it starts it prints one JSON line, {\"url\":…,\"clientId\":…,\"stsEndpoint\":…}; on a terminal, then what",
    "to do next. SIGTERM or Ctrl-C stops it.",
    "",
    `A servers.d file for it, ${serversDir}/local.json (PORT: the port it prints; fix it with --port):`,
    JSON.stringify(serverFile("local", "http://127.0.0.1:PORT/"), null, 2),
    "Then log in with: mairu login local",
    ""
  ].join("\n")
}
