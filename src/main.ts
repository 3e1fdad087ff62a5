// The executable's entry: the hot paths (`credential-process`, `--version`, `--help`)
// run without loading the Effect runtime or the CLI framework; everything else
// loads the full CLI.
import * as fs from "node:fs"
import * as nodeModule from "node:module"
import { runFastCredentialProcess } from "./FastPath/CredentialProcess.js"
import { colourAllowed } from "./Plain/PlainOutput.js"
import { VERSION } from "./Version.js"

// Node 22.1+ keeps compiled code between runs; older versions go without.
;(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.()

/** The top-level help, rendered by the full CLI at build time (see scripts/build.mjs). */
const prebuiltHelp = (): string | undefined => {
  const variant = colourAllowed(process.stdout, process.env) ? "help.ansi" : "help.txt"
  try {
    return fs.readFileSync(new URL(variant, import.meta.url), "utf8")
  } catch {
    return undefined
  }
}

const args = process.argv.slice(2)
const fastPaths = (process.env.MAIRU_NO_FAST_PATH ?? "") === ""
let exitCode: number | undefined
if (fastPaths && args[0] === "credential-process") {
  exitCode = await runFastCredentialProcess(args.slice(1), process.env, VERSION)
} else if (fastPaths && args.length === 1 && args[0] === "--version") {
  process.stdout.write(VERSION + "\n")
  exitCode = 0
} else if (fastPaths && args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
  const help = prebuiltHelp()
  if (help !== undefined) {
    process.stdout.write(help)
    exitCode = 0
  }
}

if (exitCode !== undefined) process.exit(exitCode)
// A separate bundle (see scripts/build.mjs), so that this entry stays one small file.
else await import("./FullCli.js")
