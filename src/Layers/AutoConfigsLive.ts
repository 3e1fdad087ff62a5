import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { type AutoConfig, loadAutoConfig } from "../AutoConfig/AutoConfigFile.js"
import { nearestAutoConfig } from "../AutoConfig/AutoFile.js"
import { AutoConfigs, AutoConfigUnusable } from "../Services/AutoConfigs.js"

/** The `.mairu.json` at `file`, read and decoded as the fast path does. */
export const readAutoConfig = (file: string): Effect.Effect<AutoConfig, AutoConfigUnusable> =>
  Effect.suspend(() => {
    const loaded = loadAutoConfig(file)
    return loaded.ok ? Effect.succeed(loaded.auto) : new AutoConfigUnusable({ path: file, problem: loaded.problem })
  })

export const AutoConfigsLive = Layer.succeed(AutoConfigs, {
  find: (cwd) =>
    Effect.suspend(() => {
      const file = nearestAutoConfig(cwd)
      return file === undefined ? Effect.succeed(Option.none()) : Effect.map(readAutoConfig(file), Option.some)
    })
})
