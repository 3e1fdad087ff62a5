import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { InvalidArgument } from "../Schemas/AgentErrors.js"
import type { AutoConfig } from "../Schemas/AutoConfig.js"

/** Finds the `.mairu.json` that names the `auto` role of a folder. */
export interface AutoConfigsShape {
  /** The nearest `.mairu.json` from `cwd` upwards; a file that does not parse is an error naming it. */
  readonly find: (cwd: string) => Effect.Effect<Option.Option<AutoConfig>, InvalidArgument>
}

export class AutoConfigs extends Context.Tag("mairu/AutoConfigs")<AutoConfigs, AutoConfigsShape>() {}
