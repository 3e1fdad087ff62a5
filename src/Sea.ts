// Only the single executable loads node:sea; scripts/build.mjs builds it with Node.js 20.12 or later.
// eslint-disable-next-line n/no-unsupported-features/node-builtins
import type * as nodeSea from "node:sea"

declare const __MAIRU_SEA__: boolean | undefined

/**
 * True in the single executable (`npm run build:sea`): there the binary is both Node.js and
 * mairu, so it has no script path, takes no Node.js options from its command line, and has
 * no files next to it (what the npm package keeps in dist/ it carries as SEA assets).
 */
export const IS_SEA: boolean = typeof __MAIRU_SEA__ === "boolean" && __MAIRU_SEA__

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sea = () => require("node:sea") as typeof nodeSea

/** A text file the single executable carries (see scripts/build.mjs), or undefined when it has none by that name. */
export const seaAsset = (name: string): string | undefined => {
  try {
    return sea().getAsset(name, "utf8")
  } catch {
    return undefined
  }
}

/** A binary file the single executable carries, or undefined when it has none by that name. */
export const seaRawAsset = (name: string): Uint8Array | undefined => {
  try {
    const raw = sea().getRawAsset(name)
    return typeof raw === "string" ? Buffer.from(raw) : new Uint8Array(raw)
  } catch {
    return undefined
  }
}
