import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import {
  controlCharacterField,
  controlCharacterMessage,
  nearestAutoConfig,
  readAutoFile
} from "../AutoConfig/AutoFile.js"
import { AUTO_CONFIG_NAME } from "../AutoConfig/AutoFile.js"
import { InvalidArgument } from "../Schemas/AgentErrors.js"
import { type AutoConfig, AutoConfigFile } from "../Schemas/AutoConfig.js"
import { describeParseError } from "../Schemas/ParseIssues.js"
import { AutoConfigs } from "../Services/AutoConfigs.js"
import { visibleLine } from "../Terminal/Visible.js"

const decode = Schema.decodeUnknownEither(AutoConfigFile, { errors: "all" })

export const readAutoConfig = (file: string): Effect.Effect<AutoConfig, InvalidArgument> =>
  Effect.gen(function*() {
    const read = readAutoFile(file)
    if (!read.ok) return yield* new InvalidArgument({ message: read.message })
    const bytes = read.bytes
    const json = yield* Effect.try({
      try: () => JSON.parse(bytes.toString("utf8")) as unknown,
      catch: (error) =>
        new InvalidArgument({
          message: `${visibleLine(file)} is not valid JSON (${visibleLine((error as Error).message)})`
        })
    })
    const controlField = controlCharacterField(json)
    if (controlField !== undefined) {
      return yield* new InvalidArgument({ message: controlCharacterMessage(file, controlField) })
    }
    const config = decode(json)
    if (config._tag === "Left") {
      return yield* new InvalidArgument({
        message: `${visibleLine(file)} is not a valid ${AUTO_CONFIG_NAME}: ${
          describeParseError(config.left, "the file")
        }`
      })
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
