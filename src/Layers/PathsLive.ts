import * as Layer from "effect/Layer"
import { resolvePaths } from "../Plain/XdgPaths.js"
import { Paths } from "../Services/Paths.js"

export { resolvePaths }

export const PathsLive = Layer.sync(Paths, () => resolvePaths(process.env))
