import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { resolvePaths } from "../Files/XdgPaths.js"
import { Paths } from "../Services/Paths.js"
import { Settings } from "../Services/Settings.js"
import { plainEnvironment } from "./SettingsLive.js"

export const PathsLive = Layer.effect(
  Paths,
  Effect.map(Settings, (settings) => resolvePaths(plainEnvironment(settings)))
)
