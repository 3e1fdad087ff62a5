import type * as childProcess from "node:child_process"

/** How a system tool (lsof, ps, id) ended: undefined when it could not run at all. */
export interface ToolResult {
  readonly code: number
  readonly stdout: string
}

/** Runs a system tool to its end; the platforms take one so that tests can give recorded outputs. */
export type RunTool = (file: string, args: ReadonlyArray<string>) => ToolResult | undefined
export type RunToolAsync = (file: string, args: ReadonlyArray<string>) => Promise<ToolResult | undefined>

const TIMEOUT_MS = 5_000
/** lsof and ps may list many thousands of files and processes: more than the 1 MiB Node keeps by default. */
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024

/**
 * The system's own folders only (macOS keeps lsof in /usr/sbin; NixOS its tools in
 * /run/current-system/sw/bin): what these tools say decides who is let in, so a PATH that a
 * project's scripts or a shell profile extended has no say. C locale output.
 */
const TOOL_ENV = {
  PATH: "/usr/bin:/bin:/usr/sbin:/sbin:/run/current-system/sw/bin",
  LC_ALL: "C"
}

// Loaded when a tool runs: most commands never run one, and the fast paths pay for what they load.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcessModule = () => require("node:child_process") as typeof childProcess

/** The tool's exit code and output, or undefined when it is missing, killed, or slower than 5 s. */
export const runTool: RunTool = (file, args) => {
  const result = childProcessModule().spawnSync(file, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: TIMEOUT_MS,
    maxBuffer: MAX_OUTPUT_BYTES,
    env: TOOL_ENV
  })
  return result.error !== undefined || result.status === null
    ? undefined
    : { code: result.status, stdout: result.stdout }
}

/** runTool without blocking the event loop (the agent keeps answering while lsof runs). */
export const runToolAsync: RunToolAsync = (file, args) =>
  new Promise((resolve) => {
    const child = childProcessModule().execFile(file, args, {
      encoding: "utf8",
      timeout: TIMEOUT_MS,
      maxBuffer: MAX_OUTPUT_BYTES,
      env: TOOL_ENV
    }, (error, stdout) => {
      if (error === null) return resolve({ code: 0, stdout })
      const code = (error as { code?: unknown }).code
      resolve(typeof code === "number" && error.killed !== true ? { code, stdout } : undefined)
    })
    child.stdin?.end()
  })
