declare const __MAIRU_VERSION__: string | undefined

/** The package version, baked in by the bundler; "dev" when run from source. */
export const VERSION: string = typeof __MAIRU_VERSION__ === "string" ? __MAIRU_VERSION__ : "dev"
