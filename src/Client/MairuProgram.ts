import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { IS_SEA } from "../Sea.js"

/**
 * The argv that runs this very mairu with nothing from PATH (programs started from a desktop
 * have none worth the name): the single executable, or Node.js and the npm package's script,
 * both absolute (never the `#!/usr/bin/env node` bin link).
 */
export const mairuProgram: Effect.Effect<ReadonlyArray<string>, never, FileSystem.FileSystem> = IS_SEA
  ? Effect.succeed([process.execPath])
  : Effect.gen(function*() {
    const script = path.resolve(process.argv[1] ?? "")
    const real = yield* (yield* FileSystem.FileSystem).realPath(script).pipe(Effect.orElseSucceed(() => script))
    return [process.execPath, real]
  })
