import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import { type MairuPaths, resolvePaths } from "../Files/XdgPaths.js"

export type PathsShape = MairuPaths

export class Paths extends Context.Tag("mairu/Paths")<Paths, PathsShape>() {}

/** For tests: mairu's folders under `home`, as without XDG variables. */
export const layerTest = (home: string) => Layer.succeed(Paths, resolvePaths({}, home))
