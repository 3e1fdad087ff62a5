// Bundles the CLI (and the local credential server used by the demo and tests)
// into single files so that start-up does not pay for module resolution.
import { build } from "esbuild"
import { readFileSync } from "node:fs"

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  banner: {
    js: "import { createRequire as __mairuCreateRequire } from 'node:module'; const require = __mairuCreateRequire(import.meta.url);"
  }
}

await build({
  ...common,
  entryPoints: ["src/main.ts"],
  outfile: "dist/mairu.js",
  define: { __MAIRU_VERSION__: JSON.stringify(pkg.version) },
  banner: { js: "#!/usr/bin/env node\n" + common.banner.js }
})

await build({
  ...common,
  entryPoints: ["src/DevServer/main.ts"],
  outfile: "dist/devserver.js",
  packages: "external"
})
