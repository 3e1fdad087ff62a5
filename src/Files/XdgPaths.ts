import * as os from "node:os"
import * as path from "node:path"

/** Where mairu keeps its files: configuration under XDG_CONFIG_HOME, state under XDG_STATE_HOME, the socket under XDG_RUNTIME_DIR. */
export interface MairuPaths {
  readonly configDir: string
  readonly serversDir: string
  readonly stateDir: string
  readonly trustDir: string
  readonly cacheDir: string
  readonly logDir: string
  readonly socketPath: string
}

type Env = Readonly<Record<string, string | undefined>>

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === "" ? undefined : value

/** XDG base directories with mairu's defaults. */
export const resolvePaths = (env: Env, home: string = env.HOME ?? os.homedir()): MairuPaths => {
  const configDir = path.join(nonEmpty(env.XDG_CONFIG_HOME) ?? path.join(home, ".config"), "mairu")
  const stateDir = path.join(nonEmpty(env.XDG_STATE_HOME) ?? path.join(home, ".local", "state"), "mairu")
  const runtimeDir = nonEmpty(env.XDG_RUNTIME_DIR)
  const socketPath = nonEmpty(env.MAIRU_AGENT_SOCK) ??
    (runtimeDir !== undefined
      ? path.join(runtimeDir, "mairu", "mairu-agent.sock")
      : path.join(stateDir, "run", "mairu-agent.sock"))
  return {
    configDir,
    serversDir: path.join(configDir, "servers.d"),
    stateDir,
    trustDir: path.join(stateDir, "trust"),
    cacheDir: path.join(stateDir, "cache"),
    logDir: path.join(stateDir, "log"),
    socketPath
  }
}
