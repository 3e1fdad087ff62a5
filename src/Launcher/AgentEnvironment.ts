import { closeInspector } from "../Platform/Inspector.js"

/**
 * The environment the agent runs with. It holds every token, so it keeps only
 * what it reads (paths, locale, MAIRU and AWS endpoint settings, proxies) and
 * never what makes Node load code or open a debugger (NODE_OPTIONS and the like).
 */

const KEPT_NAMES = new Set([
  "HOME",
  "PATH",
  "USER",
  "LOGNAME",
  "LANG",
  "TZ",
  "TMPDIR",
  // How `agent --foreground` writes to its terminal.
  "TERM",
  "NO_COLOR",
  "FORCE_COLOR",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_USE_FIPS_ENDPOINT",
  "AWS_USE_DUALSTACK_ENDPOINT",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  // Extra CA certificates for a TLS-inspecting proxy: read once by Node, loads no code.
  "NODE_EXTRA_CA_CERTS"
])

const KEPT_PREFIXES = ["LC_", "XDG_", "MAIRU_", "AWS_ENDPOINT_URL"]

/** True for a variable the agent keeps. */
export const isKeptVariable = (name: string): boolean =>
  KEPT_NAMES.has(name) || KEPT_PREFIXES.some((prefix) => name.startsWith(prefix))

/** `env` reduced to what the agent keeps. */
export const agentEnvironment = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const kept: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && isKeptVariable(name)) kept[name] = value
  }
  return kept
}

/**
 * The Node flags the agent runs with: its own (AGENT_V8_FLAGS, AGENT_START_FLAGS,
 * `--disable-sigusr1`) and a few that only size memory, quiet warnings or choose CA
 * certificates, DNS order and TLS versions. An allow-list: Node has dozens of flags that
 * load code (`--require`, `--import`, loaders, snapshots, `--env-file`), open a debugger
 * (`--inspect*`), or write memory or keys to disk (heap snapshots, reports, profiles,
 * `--tls-keylog`), and every release adds some.
 * Names are compared as Node compares them, `_` read as `-`. Every flag takes `--flag=value`;
 * those marked "value" are Node's own that also take the next word (unless it is a flag itself).
 */
const ALLOWED_FLAGS = new Map<string, "value" | "none">([
  ["--max-semi-space-size", "none"],
  ["--max-old-space-size", "none"],
  ["--optimize-for-size", "none"],
  ["--no-opt", "none"],
  ["--no-maglev", "none"],
  ["--jitless", "none"],
  ["--disable-sigusr1", "none"],
  ["--secure-heap", "value"],
  ["--secure-heap-min", "value"],
  ["--no-warnings", "none"],
  ["--no-deprecation", "none"],
  ["--disable-warning", "value"],
  ["--trace-warnings", "none"],
  ["--trace-deprecation", "none"],
  ["--use-openssl-ca", "none"],
  ["--use-bundled-ca", "none"],
  ["--use-system-ca", "none"],
  ["--dns-result-order", "value"],
  ["--tls-min-v1.0", "none"],
  ["--tls-min-v1.1", "none"],
  ["--tls-min-v1.2", "none"],
  ["--tls-min-v1.3", "none"],
  ["--tls-max-v1.2", "none"],
  ["--tls-max-v1.3", "none"],
  ["--unhandled-rejections", "value"],
  ["--title", "value"]
])

/**
 * NODE_OPTIONS split into words as Node splits it: at spaces outside double quotes,
 * quotes removed, a backslash inside quotes taking the next character as it is.
 */
export const nodeOptionsWords = (text: string): Array<string> => {
  const words: Array<string> = []
  let inQuotes = false
  let startsWord = true
  for (let index = 0; index < text.length; index++) {
    let c = text[index]!
    if (c === "\\" && inQuotes) {
      // Node refuses to start on a trailing backslash: nothing more to read.
      if (index + 1 === text.length) break
      c = text[++index]!
    } else if (c === " " && !inQuotes) {
      startsWord = true
      continue
    } else if (c === "\"") {
      inQuotes = !inQuotes
      continue
    }
    if (startsWord) {
      words.push(c)
      startsWord = false
    } else {
      words[words.length - 1] += c
    }
  }
  return words
}

/** The words of `args` that are not allowed flags (or their values). */
const disallowedWords = (args: ReadonlyArray<string>): Array<string> => {
  const refused: Array<string> = []
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!
    const equals = word.indexOf("=")
    const name = (equals === -1 ? word : word.slice(0, equals)).replace(/_/g, "-")
    const kind = ALLOWED_FLAGS.get(name)
    if (kind === undefined) {
      refused.push(word)
    } else if (kind === "value" && equals === -1 && args[index + 1]?.startsWith("-") === false) {
      index++
    }
  }
  return refused
}

/** A setting the agent refuses to run with. */
export interface UnsafeSetting {
  /** As the refusal names it. */
  readonly text: string
  /** The variable it comes from, which the user unsets to start without it. */
  readonly variable?: "NODE_OPTIONS" | "OPENSSL_CONF"
}

/**
 * What would let code, a debugger or a dump of its memory into the agent: words of
 * node's own flags (`execArgv`) and of NODE_OPTIONS outside the allow-list, and
 * OPENSSL_CONF (Node reads it as it starts, and an OpenSSL configuration loads
 * providers and engines, which are code). Empty when it may run as it is.
 */
export const unsafeNodeSettings = (
  execArgv: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv
): ReadonlyArray<UnsafeSetting> => [
  ...disallowedWords(execArgv).map((word) => ({ text: word })),
  ...disallowedWords(nodeOptionsWords(env.NODE_OPTIONS ?? "")).map((word) => ({
    text: `${word} (in NODE_OPTIONS)`,
    variable: "NODE_OPTIONS" as const
  })),
  ...((env.OPENSSL_CONF ?? "") === ""
    ? []
    : [{ text: `OPENSSL_CONF=${env.OPENSSL_CONF}`, variable: "OPENSSL_CONF" as const }])
]

/**
 * For an agent run in this process: its refusal when Node was started with a flag or
 * variable that could let code, a debugger or a dump of its memory in (the inspector,
 * if one is already open, is closed first), or undefined after reducing `process.env`
 * to what the agent keeps.
 */
export const enterAgentEnvironment = (): string | undefined => {
  const unsafe = unsafeNodeSettings(process.execArgv, process.env)
  if (unsafe.length > 0) {
    closeInspector()
    const unset = [...new Set(unsafe.flatMap((setting) => setting.variable === undefined ? [] : [setting.variable]))]
    return `the agent refuses to run with ${unsafe.map((setting) => setting.text).join(", ")}: only flags that ` +
      `size memory, quiet warnings or choose certificates, DNS and TLS versions are allowed, never one that could ` +
      `load code, open a debugger or write its memory or keys to disk in the process that holds your tokens. ` +
      `Start it without: ${unset.length === 0 ? "" : `env ${unset.map((name) => `-u ${name}`).join(" ")} `}` +
      `mairu agent --foreground`
  }
  for (const name of Object.keys(process.env)) {
    if (!isKeptVariable(name)) delete process.env[name]
  }
  return undefined
}
