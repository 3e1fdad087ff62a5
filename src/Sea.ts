declare const __MAIRU_SEA__: boolean | undefined

/**
 * True in the single executable (`npm run build:sea`): there the binary is both Node.js and
 * mairu, so it has no script path, takes no Node.js options from its command line, and has
 * no files next to it (what the npm package keeps in dist/ it carries as SEA assets).
 */
export const IS_SEA: boolean = typeof __MAIRU_SEA__ === "boolean" && __MAIRU_SEA__

/** A file the single executable carries (see scripts/build.mjs), or undefined when it has none by that name. */
export const seaAsset = (name: string): string | undefined => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("node:sea") as typeof import("node:sea")).getAsset(name, "utf8")
  } catch {
    return undefined
  }
}
