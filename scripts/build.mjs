// Bundles the CLI (and the local credential server used by the demo and tests)
// into single files so that start-up does not pay for module resolution.
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"

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

// The entry (dist/mairu.cjs) holds the fast paths (credential-process, exec, --help, --version) and
// loads the full CLI (dist/FullCli.js) or the agent (dist/AgentEntry.js) for anything else; code only
// the agent needs (the AWS SDK) sits in chunks behind dynamic imports.
const define = { __MAIRU_VERSION__: JSON.stringify(pkg.version) }
// CommonJS: Node starts a CommonJS file a few milliseconds sooner than a module.
await build({
  ...common,
  entryPoints: ["src/main.ts"],
  outfile: "dist/mairu.cjs",
  format: "cjs",
  define,
  external: ["./FullCli.js", "./AgentEntry.js"],
  banner: { js: "#!/usr/bin/env node" }
})
await build({
  ...common,
  entryPoints: { FullCli: "src/FullCli.ts", AgentEntry: "src/AgentEntry.ts" },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  define
})

await build({
  ...common,
  entryPoints: ["src/DevServer/main.ts"],
  outfile: "dist/devserver.js",
  packages: "external"
})

// The agent's hardening (src/Plain/Hardening.ts) needs koffi's native module, which cannot be
// bundled and whose install script must not run: copy the prebuilt binaries that npm installed
// (@koromix/koffi-<platform>, one per platform) to dist/koffi/<platform>/koffi.node.
const koromix = new URL("../node_modules/@koromix/", import.meta.url)
for (const pkgDir of existsSync(koromix) ? readdirSync(koromix) : []) {
  if (!pkgDir.startsWith("koffi-")) continue
  for (const triplet of readdirSync(new URL(`${pkgDir}/`, koromix), { withFileTypes: true })) {
    const binary = new URL(`${pkgDir}/${triplet.name}/koffi.node`, koromix)
    if (!triplet.isDirectory() || !existsSync(binary)) continue
    const target = new URL(`../dist/koffi/${triplet.name}/`, import.meta.url)
    mkdirSync(target, { recursive: true })
    copyFileSync(binary, new URL("koffi.node", target))
  }
}
if (existsSync(new URL("../dist/koffi/", import.meta.url))) {
  copyFileSync(new URL("../node_modules/koffi/LICENSE.txt", import.meta.url), new URL("../dist/koffi/LICENSE.txt", import.meta.url))
}

// The top-level help is static: render it once with the full CLI, plain and coloured,
// for the entry to print without loading the CLI framework.
const renderHelp = (colour) =>
  execFileSync(process.execPath, [new URL("../dist/mairu.cjs", import.meta.url).pathname, "--help"], {
    env: { PATH: process.env.PATH, MAIRU_NO_FAST_PATH: "1", ...(colour ? { FORCE_COLOR: "1" } : { NO_COLOR: "1" }) },
    encoding: "utf8"
  })
writeFileSync(new URL("../dist/help.txt", import.meta.url), renderHelp(false))
writeFileSync(new URL("../dist/help.ansi", import.meta.url), renderHelp(true))
