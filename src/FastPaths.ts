// The fast paths' own bundle (dist/fastpaths.cjs): `credential-process` and `exec` without
// Effect. The entry loads it through V8's code cache (see FastPath/CodeCache.ts); the single
// executable carries it in its own bundle, whose code cache it has built in.

/* eslint-disable @typescript-eslint/no-require-imports */
// Each is required when taken: the bundler then initialises its modules (and the Node built-ins
// they load, such as child_process) only for that command.
const loadCredentialProcess = (): typeof import("./FastPath/CredentialProcess.js") =>
  require("./FastPath/CredentialProcess.js")
const loadExec = (): typeof import("./FastPath/Exec.js") => require("./FastPath/Exec.js")
/* eslint-enable @typescript-eslint/no-require-imports */

/** Runs `command`'s fast path; the exit code, or undefined when the full CLI must handle it. */
export const runFastPath = (
  command: "credential-process" | "exec",
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  version: string
): Promise<number | undefined> =>
  command === "credential-process"
    ? loadCredentialProcess().runFastCredentialProcess(args, env, version)
    : loadExec().runFastExec(args, env, version)
