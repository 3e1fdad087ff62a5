import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { AutoConfig, AutoConfigProblem as PlainAutoConfigProblem } from "../AutoConfig/AutoConfigFile.js"

const AutoConfigProblem = Schema.Union(
  Schema.TaggedStruct("NotOwned", { reason: Schema.String }),
  Schema.TaggedStruct("Unreadable", { reason: Schema.String }),
  Schema.TaggedStruct("NotJson", { reason: Schema.String }),
  Schema.TaggedStruct("ControlCharacters", { field: Schema.String }),
  Schema.TaggedStruct("NotValid", { issues: Schema.Array(Schema.String) })
) satisfies Schema.Schema<PlainAutoConfigProblem>

/** The nearest `.mairu.json` is not used: `problem` says why (src/AutoConfig/AutoConfigFile.ts). */
export class AutoConfigUnusable extends Schema.TaggedError<AutoConfigUnusable>()("AutoConfigUnusable", {
  path: Schema.String,
  problem: AutoConfigProblem
}) {}

/** Finds the `.mairu.json` that names the `auto` role of a folder. */
export interface AutoConfigsShape {
  /** The nearest `.mairu.json` from `cwd` upwards; one that is not usable is an error naming it. */
  readonly find: (cwd: string) => Effect.Effect<Option.Option<AutoConfig>, AutoConfigUnusable>
}

export class AutoConfigs extends Context.Tag("mairu/AutoConfigs")<AutoConfigs, AutoConfigsShape>() {}

/** For tests: every folder finds `found` (none when undefined). */
export const layerTest = (found: AutoConfig | AutoConfigUnusable | undefined = undefined) =>
  Layer.succeed(AutoConfigs, {
    find: () => found instanceof AutoConfigUnusable ? Effect.fail(found) : Effect.succeed(Option.fromNullable(found))
  })
