import type { ExecMode } from "../AutoConfig/AutoConfigFile.js"

/**
 * When `mairu exec` starts watching the session of its credentials, in milliseconds after its
 * command started. In ecs mode the watch also stops the endpoint from reusing credentials of an
 * ended session, so it starts at once. In static mode it only tells the user that the session
 * ended: a command that ends within a second has nothing to be told, and opening the watch would
 * cost it a connection and the agent's work. The agent answers a watch at once when the session
 * has already ended, so one that ends in that second is still told.
 */
export const sessionWatchDelayMs = (mode: ExecMode): number => mode === "static" ? 1_000 : 0
