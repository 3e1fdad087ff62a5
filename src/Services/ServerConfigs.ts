import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { InvalidArgument, NotFound } from "../Schemas/AgentErrors.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import { findServer, type LoadedServers } from "../Schemas/ServerFiles.js"

export interface ServerConfigsShape {
  /** Every server file, with the ones that do not parse listed as problems. */
  readonly load: Effect.Effect<LoadedServers>
  /** A server by id, then by url; warns (on the terminal) about files it had to skip. */
  readonly resolve: (name: string) => Effect.Effect<ServerConfig, NotFound | InvalidArgument>
}

export class ServerConfigs extends Context.Tag("mairu/ServerConfigs")<ServerConfigs, ServerConfigsShape>() {}

/** For tests: these servers (and skipped files), as if read from `serversDir`. */
export const layerTest = (loaded: LoadedServers, serversDir = "/config/mairu/servers.d") =>
  Layer.succeed(ServerConfigs, {
    load: Effect.succeed(loaded),
    resolve: (name) => findServer(loaded, name, serversDir)
  })
