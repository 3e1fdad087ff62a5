import * as Context from "effect/Context"

/** Where mairu keeps its files (reference §2). */
export interface PathsShape {
  readonly configDir: string
  readonly serversDir: string
  readonly stateDir: string
  readonly trustDir: string
  readonly cacheDir: string
  readonly logDir: string
  readonly socketPath: string
}

export class Paths extends Context.Tag("mairu/Paths")<Paths, PathsShape>() {}
