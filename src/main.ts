// The executable's entry, built as CommonJS: the hot paths (`credential-process`,
// `exec`, `--version`, `--help`) run without loading the Effect runtime or the CLI
// framework; everything else loads the full CLI, a module of its own.
import * as fs from "node:fs"
import * as path from "node:path"
import { ignoreDebugSignal } from "./Platform/Inspector.js"
import { IS_SEA, seaAsset } from "./Sea.js"
import { messageText, writeAll } from "./Terminal/Messages.js"
import { colourAllowed, colourPreference } from "./Terminal/PlainOutput.js"
import { VERSION } from "./Version.js"

// Before anything else: SIGUSR1 opens no debugger in the agent, nor in an exec that holds a role's
// credentials for its command (see Platform/Inspector.ts).
ignoreDebugSignal()

// Then: nothing of mairu (unix sockets, /dev/tty, the agent) works on Windows.
if (process.platform === "win32") {
  writeAll(
    2,
    messageText("mairu does not support Windows; run it in WSL (Windows Subsystem for Linux), where it works.")
  )
  process.exit(1)
}

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The fast paths' bundle: in the npm package a file of its own, run through V8's code cache in
 * the user's cache folder; the single executable carries it in its own bundle.
 */
const loadFastPaths = (command: string): typeof import("./FastPaths.js") => {
  if (IS_SEA) return require("./FastPaths.js")
  // Required here, not imported: --version and --help need neither (nor node:vm and node:os, which they load).
  const { requireWithCodeCache } = require("./FastPath/CodeCache.js") as typeof import("./FastPath/CodeCache.js")
  const { resolvePaths } = require("./Files/XdgPaths.js") as typeof import("./Files/XdgPaths.js")
  return requireWithCodeCache(
    path.join(__dirname, "fastpaths.cjs"),
    path.join(resolvePaths(process.env).cacheDir, "code"),
    command,
    require
  ) as typeof import("./FastPaths.js")
}

const isCharacterDevice = (fd: number) => {
  try {
    return fs.fstatSync(fd).isCharacterDevice()
  } catch {
    return false
  }
}

/** The top-level help, rendered by the full CLI at build time (see scripts/build.mjs). */
const prebuiltHelp = (): string | undefined => {
  // Not process.stdout, nor node:tty unless stdout is a character device: loading
  // either costs a few ms, most of this path's time when stdout is a pipe.
  const isTTY = isCharacterDevice(1) && (require("node:tty") as typeof import("node:tty")).isatty(1)
  const variant = colourAllowed({ isTTY }, colourPreference(process.env)) ? "help.ansi" : "help.txt"
  if (IS_SEA) return seaAsset(variant)
  try {
    return fs.readFileSync(path.join(__dirname, variant), "utf8")
  } catch {
    return undefined
  }
}

/** The single executable's agent: the flags that `node` would have taken from the agent's command line. */
const setAgentFlags = () => {
  const { AGENT_V8_FLAGS } = require("./Launcher/AgentFlags.js") as typeof import("./Launcher/AgentFlags.js")
  ;(require("node:v8") as typeof import("node:v8")).setFlagsFromString(AGENT_V8_FLAGS.join(" "))
}
/* eslint-enable @typescript-eslint/no-require-imports */

const fastPath = async (args: ReadonlyArray<string>): Promise<number | undefined> => {
  const command = args[0]
  if (command === "credential-process" || command === "exec") {
    return loadFastPaths(command).runFastPath(command, args.slice(1), process.env, VERSION)
  }
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    writeAll(1, VERSION + "\n")
    return 0
  }
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    const help = prebuiltHelp()
    if (help === undefined) return undefined
    writeAll(1, help)
    return 0
  }
  return undefined
}

/** `agent --foreground`, as the client starts it (or a user does): the daemon without the CLI. */
const isAgentRun = (args: ReadonlyArray<string>) =>
  args[0] === "agent" && args[1] === "--foreground" &&
  (args.length === 2 || (args.length === 3 && args[2] === "--log-to-file"))

const args = process.argv.slice(2)
// MAIRU_NO_FAST_PATH: everything through the full CLI (for tests and for debugging).
const fastPathsAllowed = (process.env.MAIRU_NO_FAST_PATH ?? "") === ""
if (IS_SEA && isAgentRun(args)) setAgentFlags()
if (fastPathsAllowed && isAgentRun(args)) {
  void import("./AgentEntry.js")
} else {
  void (fastPathsAllowed ? fastPath(args) : Promise.resolve(undefined)).then((exitCode) =>
    exitCode !== undefined ? process.exit(exitCode) : import("./FullCli.js")
  )
}
