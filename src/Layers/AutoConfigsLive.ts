import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import { nearestAutoConfig } from "../Plain/AutoFile.js"
import { InvalidArgument } from "../Schemas/AgentErrors.js"
import { type AutoConfig, AutoConfigFile } from "../Schemas/AutoConfig.js"
import { AUTO_CONFIG_NAME } from "../Plain/AutoFile.js"
import { AutoConfigs } from "../Services/AutoConfigs.js"

const decode = Schema.decodeUnknownEither(AutoConfigFile, { errors: "all" })

export const readAutoConfig = (file: string): Effect.Effect<AutoConfig, InvalidArgument> =>
  Effect.gen(function*() {
    const bytes = yield* Effect.try({
      try: () => fs.readFileSync(file),
      catch: (error) => new InvalidArgument({ message: `cannot read ${file}: ${String(error)}` })
    })
    const json = yield* Effect.try({
      try: () => JSON.parse(bytes.toString("utf8")) as unknown,
      catch: (error) => new InvalidArgument({ message: `${file} is not valid JSON (${(error as Error).message})` })
    })
    const config = decode(json)
    if (config._tag === "Left") {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(config.left)
        .map((issue) => `${issue.path.join(".") || "the file"}: ${issue.message}`)
        .join("; ")
      return yield* new InvalidArgument({ message: `${file} is not a valid ${AUTO_CONFIG_NAME}: ${issues}` })
    }
    return { path: file, bytes, config: config.right }
  })

export const AutoConfigsLive = Layer.succeed(AutoConfigs, {
  find: (cwd) =>
    Effect.suspend(() => {
      const file = nearestAutoConfig(cwd)
      return file === undefined ? Effect.succeed(Option.none()) : Effect.map(readAutoConfig(file), Option.some)
    })
})
