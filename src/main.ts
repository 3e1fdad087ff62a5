// The executable's entry: the hot `credential-process` path runs without loading
// the Effect runtime or the CLI framework; everything else loads the full CLI.
import * as nodeModule from "node:module"
import { runFastCredentialProcess } from "./FastPath/CredentialProcess.js"
import { VERSION } from "./Version.js"

// Node 22.1+ keeps compiled code between runs; older versions go without.
;(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.()

const args = process.argv.slice(2)
const fast = args[0] === "credential-process" && (process.env.MAIRU_NO_FAST_PATH ?? "") === ""
  ? await runFastCredentialProcess(args.slice(1), process.env, VERSION)
  : undefined

if (fast !== undefined) process.exit(fast)
// A separate bundle (see scripts/build.mjs), so that this entry stays one small file.
else await import("./FullCli.js")
