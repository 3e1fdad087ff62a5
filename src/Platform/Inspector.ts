/**
 * Node's inspector is a debugger on a TCP port that any local user can reach: in
 * the agent it would hand out every token. Node opens it on SIGUSR1 (which is also
 * what `process._debugProcess(pid)` of another Node process sends); a listener for
 * SIGUSR1 replaces Node's own handler, and on Node versions that have it,
 * `--disable-sigusr1` keeps Node from watching for the signal at all.
 */

const DISABLE_SIGUSR1 = "--disable-sigusr1"

let guarded = false

/**
 * Keeps SIGUSR1 from opening the inspector in this process, from now on: a
 * listener that stays for the life of the process (without one, SIGUSR1 would
 * end it). Call it before anything else the agent does.
 */
export const ignoreDebugSignal = (): void => {
  if (guarded) return
  guarded = true
  process.on("SIGUSR1", () => undefined)
}

/** `--disable-sigusr1` where this Node has it (22.14+, 23.7+), for the agent's command line or NODE_OPTIONS. */
export const disableSigusr1Flags = (): ReadonlyArray<string> =>
  process.allowedNodeEnvironmentFlags.has(DISABLE_SIGUSR1) ? [DISABLE_SIGUSR1] : []

/** The inspector's address when it is open in this process, else undefined (also in a Node built without it). */
export const openInspectorUrl = (): string | undefined => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("node:inspector") as typeof import("node:inspector")).url()
  } catch {
    return undefined
  }
}

/** Closes the inspector if it is open. */
export const closeInspector = (): void => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ;(require("node:inspector") as typeof import("node:inspector")).close()
  } catch {
    // a Node built without the inspector: nothing to close
  }
}
