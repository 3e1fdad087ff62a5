// Bundles the CLI (and the local credential server used by the demo and tests)
// into single files so that start-up does not pay for module resolution.
import { build } from "esbuild"
import { readFileSync, rmSync } from "node:fs"

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true })

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Prefer packages' ESM builds: smaller bundles, and dynamic imports keep their named exports.
  mainFields: ["module", "main"],
  sourcemap: "linked",
  logLevel: "warning",
  banner: {
    js: "import { createRequire as __mairuCreateRequire } from 'node:module'; const require = __mairuCreateRequire(import.meta.url);"
  }
}

// Code only the agent needs (the AWS SDK) sits behind dynamic imports in chunks of its own.
await build({
  ...common,
  entryPoints: { mairu: "src/main.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  define: { __MAIRU_VERSION__: JSON.stringify(pkg.version) },
  banner: { js: "#!/usr/bin/env node\n" + common.banner.js }
})

await build({
  ...common,
  entryPoints: ["src/DevServer/main.ts"],
  outfile: "dist/devserver.js",
  packages: "external"
})
