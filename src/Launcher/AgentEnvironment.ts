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

/** Node flags that load code into the process or open a debugger. */
const UNSAFE_FLAG =
  /^--?(inspect|debug|require|r$|import|loader|experimental-loader|experimental-policy|experimental-permission|env-file|watch|cpu-prof|heap-prof|heapsnapshot)/

/**
 * The flags among `execArgv` and `NODE_OPTIONS` that would let code or a debugger
 * into the agent; empty when it may run as it is.
 */
export const unsafeNodeFlags = (execArgv: ReadonlyArray<string>, env: NodeJS.ProcessEnv): ReadonlyArray<string> => {
  const options = (env.NODE_OPTIONS ?? "").split(/\s+/).filter((word) => word !== "")
  return [...execArgv, ...options].filter((flag) => UNSAFE_FLAG.test(flag))
}

/**
 * For an agent run in this process: its refusal when Node was started with a flag
 * that lets code or a debugger in (the inspector, already open, is closed first),
 * or undefined after reducing `process.env` to what the agent keeps.
 */
export const enterAgentEnvironment = (): string | undefined => {
  const unsafe = unsafeNodeFlags(process.execArgv, process.env)
  if (unsafe.length > 0) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ;(require("node:inspector") as typeof import("node:inspector")).close()
    return `the agent refuses to run with ${unsafe.join(" ")} (from NODE_OPTIONS or node's own flags): ` +
      `it would let a debugger or other code into the process that holds your tokens. ` +
      `Start it without: env -u NODE_OPTIONS mairu agent --foreground`
  }
  for (const name of Object.keys(process.env)) {
    if (!isKeptVariable(name)) delete process.env[name]
  }
  return undefined
}
