import * as Context from "effect/Context"
import type { MairuPaths } from "../Files/XdgPaths.js"

export type PathsShape = MairuPaths

export class Paths extends Context.Tag("mairu/Paths")<Paths, PathsShape>() {}
