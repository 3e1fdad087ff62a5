import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type ConfigProblem, findServer, loadServers } from "../Schemas/ServerFiles.js"
import { Paths } from "../Services/Paths.js"
import { ServerConfigs } from "../Services/ServerConfigs.js"
import { Terminal } from "../Services/Terminal.js"
import { skippedFileWarning } from "../Terminal/Messages.js"

export const ServerConfigsLive = Layer.effect(
  ServerConfigs,
  Effect.gen(function*() {
    const paths = yield* Paths
    const terminal = yield* Terminal
    const load = Effect.sync(() => loadServers(paths.serversDir))
    const warn = (problems: ReadonlyArray<ConfigProblem>) =>
      Effect.forEach(
        problems,
        (problem) => terminal.message(skippedFileWarning(problem)),
        { discard: true }
      )
    return {
      load,
      resolve: (name) =>
        Effect.gen(function*() {
          const loaded = yield* load
          yield* warn(loaded.problems)
          return yield* findServer(loaded, name, paths.serversDir)
        })
    }
  })
)
