// Bundles the CLI (and the local credential server used by the demo and tests)
// into single files so that start-up does not pay for module resolution.
//   node scripts/build.mjs         dist/ (what the npm package holds, and the dev server)
//   node scripts/build.mjs --sea   the same, then the single executable dist/sea/mairu
import { build } from "esbuild"
import { execFileSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

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
    js:
      "import { createRequire as __mairuCreateRequire } from 'node:module'; const require = __mairuCreateRequire(import.meta.url);"
  }
}

// The entry (dist/mairu.cjs) answers --help and --version, runs credential-process and exec from
// dist/fastpaths.cjs (through V8's code cache, see src/FastPath/CodeCache.ts), and loads the full CLI
// (dist/FullCli.js) or the agent (dist/AgentEntry.js) for anything else; code only the agent needs
// (the AWS SDK) sits in chunks behind dynamic imports.
const define = { __MAIRU_VERSION__: JSON.stringify(pkg.version), __MAIRU_SEA__: "false" }
// CommonJS: Node starts a CommonJS file a few milliseconds sooner than a module.
await build({
  ...common,
  entryPoints: ["src/main.ts"],
  outfile: "dist/mairu.cjs",
  format: "cjs",
  define,
  external: ["./FullCli.js", "./AgentEntry.js", "./FastPaths.js"],
  banner: { js: "#!/usr/bin/env node" }
})
await build({
  ...common,
  entryPoints: ["src/FastPaths.ts"],
  outfile: "dist/fastpaths.cjs",
  format: "cjs",
  define,
  banner: {}
})
for (const bundle of ["mairu.cjs", "fastpaths.cjs"]) plainBuiltins(new URL(`../dist/${bundle}`, import.meta.url))
// The fast paths' bundle runs as a script, where import() has no module loader: all it loads is bundled or required.
if (readFileSync(new URL("../dist/fastpaths.cjs", import.meta.url), "utf8").includes("import(")) {
  throw new Error("dist/fastpaths.cjs has an import(): require Node's built-ins there instead")
}
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

// The agent's hardening, a socket's peer and sock_diag go through koffi's prebuilt native module
// (src/Platform/Native.ts), which cannot be bundled and whose install script must not run. The package
// carries it for every platform mairu ships for, in dist/koffi/<triplet>/koffi.node. Each platform's
// module is an npm package of its own (@koromix/koffi-<platform>, an optional dependency of koffi that
// npm installs only on that platform): the build takes the version and integrity package-lock.json
// pins, from node_modules when npm installed it, else fetched with `npm pack` into
// node_modules/.cache/mairu-native (once), and fails when one is missing.
const NATIVE_PLATFORMS = {
  "darwin-arm64": ["darwin_arm64"],
  "darwin-x64": ["darwin_x64"],
  "linux-arm64": ["linux_arm64", "musl_arm64"],
  "linux-x64": ["linux_x64", "musl_x64"]
}

const lock = JSON.parse(readFileSync(new URL("../package-lock.json", import.meta.url), "utf8"))

/** The folder holding `@koromix/koffi-<platform>`'s files, as pinned by package-lock.json. */
const koffiPlatformPackage = (platform) => {
  const name = `@koromix/koffi-${platform}`
  const pinned = lock.packages[`node_modules/${name}`]
  const koffi = lock.packages["node_modules/koffi"]
  if (pinned === undefined || koffi === undefined || pinned.version !== koffi.version) {
    throw new Error(`package-lock.json pins no ${name} at koffi's version; run: npm install`)
  }
  const installed = fileURLToPath(new URL(`../node_modules/${name}/`, import.meta.url))
  const installedVersion = existsSync(path.join(installed, "package.json"))
    ? JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")).version
    : undefined
  if (installedVersion === pinned.version) return installed

  const cache = fileURLToPath(new URL("../node_modules/.cache/mairu-native/", import.meta.url))
  const tarball = path.join(cache, `koromix-koffi-${platform}-${pinned.version}.tgz`)
  if (!existsSync(tarball)) {
    mkdirSync(cache, { recursive: true })
    const npm = process.env.npm_execpath
    const [file, args] = npm !== undefined && npm.endsWith(".js") ? [process.execPath, [npm]] : ["npm", []]
    const fetched = spawnSync(file, [
      ...args,
      "pack",
      "--silent",
      "--prefer-offline",
      "--pack-destination",
      cache,
      `${name}@${pinned.version}`
    ], { encoding: "utf8" })
    if (fetched.status !== 0 || !existsSync(tarball)) {
      throw new Error(
        `cannot fetch ${name}@${pinned.version} (koffi's module for ${platform}) from the npm registry:\n` +
          `${fetched.stderr ?? fetched.error}\nthe build needs it once; it is kept in ${cache}`
      )
    }
  }
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`
  if (integrity !== pinned.integrity) {
    rmSync(tarball)
    throw new Error(`${tarball} does not match the integrity package-lock.json pins for ${name}; removed it`)
  }
  const unpacked = path.join(cache, `koromix-koffi-${platform}-${pinned.version}`)
  rmSync(unpacked, { recursive: true, force: true })
  mkdirSync(unpacked)
  execFileSync("tar", ["-xzf", tarball, "-C", unpacked, "--strip-components=1"])
  return unpacked
}

for (const [platform, triplets] of Object.entries(NATIVE_PLATFORMS)) {
  const source = koffiPlatformPackage(platform)
  for (const triplet of triplets) {
    const binary = path.join(source, triplet, "koffi.node")
    if (!existsSync(binary)) throw new Error(`${binary} is missing: koffi ships no ${triplet} module at this version`)
    const target = fileURLToPath(new URL(`../dist/koffi/${triplet}/`, import.meta.url))
    mkdirSync(target, { recursive: true })
    copyFileSync(binary, path.join(target, "koffi.node"))
  }
}
copyFileSync(
  new URL("../node_modules/koffi/LICENSE.txt", import.meta.url),
  new URL("../dist/koffi/LICENSE.txt", import.meta.url)
)

// The top-level help is static: render it once with the full CLI, plain and coloured,
// for the entry to print without loading the CLI framework.
const renderHelp = (colour) =>
  execFileSync(process.execPath, [new URL("../dist/mairu.cjs", import.meta.url).pathname, "--help"], {
    env: { PATH: process.env.PATH, MAIRU_NO_FAST_PATH: "1", ...(colour ? { FORCE_COLOR: "1" } : { NO_COLOR: "1" }) },
    encoding: "utf8"
  })
writeFileSync(new URL("../dist/help.txt", import.meta.url), renderHelp(false))
writeFileSync(new URL("../dist/help.ansi", import.meta.url), renderHelp(true))

/**
 * A Node.js single executable application: a copy of this `node` carrying mairu. Its entry can
 * require only built-in modules, so every bundle is CommonJS with nothing external and no chunks
 * (dynamic imports become plain requires of bundled code). The entry is built as dist/mairu.cjs
 * is, so that the fast paths start as quickly; the full CLI and the agent's entry, which it loads
 * on demand, travel as SEA assets and run through node:vm (see seaAssetModules). The files the
 * package keeps next to the entry travel as SEA assets too: the rendered help, and the native
 * module of this platform that the agent loads to harden itself.
 */
async function buildSea() {
  const [major, minor] = process.versions.node.split(".").map(Number)
  if (major < 20 || (major === 20 && minor < 12)) {
    throw new Error(
      `the single executable needs Node.js 20.12 or later to build (sea.getRawAsset); this is ${process.version}`
    )
  }
  const dist = fileURLToPath(new URL("../dist/", import.meta.url))
  const out = path.join(dist, "sea")
  mkdirSync(out, { recursive: true })
  const sea = {
    ...common,
    format: "cjs",
    sourcemap: false,
    banner: {},
    supported: { "dynamic-import": false },
    define: { ...define, __MAIRU_SEA__: "true" }
  }
  const bundle = path.join(out, "main.cjs")
  await build({ ...sea, entryPoints: ["src/main.ts"], outfile: bundle, plugins: [seaAssetModules] })
  plainBuiltins(bundle)
  await build({
    ...sea,
    entryPoints: { FullCli: "src/FullCli.ts", AgentEntry: "src/AgentEntry.ts" },
    outdir: out,
    outExtension: { ".js": ".cjs" }
  })
  const modules = ["FullCli.cjs", "AgentEntry.cjs"].map((name) => path.join(out, name))
  const assets = {
    "FullCli.cjs": modules[0],
    "AgentEntry.cjs": modules[1],
    "help.txt": path.join(dist, "help.txt"),
    "help.ansi": path.join(dist, "help.ansi")
  }
  // Its own platform's native module (src/Platform/Native.ts): the
  // executable is this node, so it has this node's libc.
  const glibc = process.report.getReport().header.glibcVersionRuntime !== undefined
  const koffiFolder = `${process.platform === "linux" && !glibc ? "musl" : process.platform}_${process.arch}`
  const koffi = path.join(dist, "koffi", koffiFolder, "koffi.node")
  if (!existsSync(koffi)) throw new Error(`no native module for ${koffiFolder} in dist/koffi`)
  assets["koffi.node"] = koffi
  const blob = path.join(out, "mairu.blob")
  const config = path.join(out, "sea-config.json")
  writeFileSync(
    config,
    JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets })
  )
  quietly(process.execPath, ["--experimental-sea-config", config])

  const binary = path.join(out, "mairu")
  const mac = process.platform === "darwin"
  // Node's debug symbols are an eighth of its size, and of no use to mairu's users.
  try {
    execFileSync("strip", mac ? ["-S", "-o", binary, process.execPath] : ["-o", binary, process.execPath], {
      stdio: "ignore"
    })
  } catch {
    copyFileSync(process.execPath, binary)
  }
  chmodSync(binary, 0o755)
  if (mac) execFileSync("codesign", ["--remove-signature", binary])
  quietly(process.execPath, [
    fileURLToPath(new URL("../node_modules/postject/dist/cli.js", import.meta.url)),
    binary,
    "NODE_SEA_BLOB",
    blob,
    "--sentinel-fuse",
    "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2",
    ...(mac ? ["--macho-segment-name", "NODE_SEA"] : [])
  ])
  if (mac) execFileSync("codesign", ["--sign", "-", binary])
  for (const file of [bundle, ...modules, blob, config]) rmSync(file)
  console.log(
    `dist/sea/mairu: ${
      (statSync(binary).size / 1e6).toFixed(1)
    } MB, for ${process.platform}-${process.arch} (Node.js ${process.version})`
  )
}

/**
 * In the single executable, `import("./FullCli.js")` and `import("./AgentEntry.js")` of the entry
 * run those bundles from the executable's assets, as Node would run a CommonJS file.
 */
const seaAssetModules = {
  name: "sea-asset-modules",
  setup(b) {
    b.onResolve(
      { filter: /^\.\/(FullCli|AgentEntry)\.js$/ },
      (args) => ({ path: args.path.slice(2, -3) + ".cjs", namespace: "sea-asset" })
    )
    b.onLoad({ filter: /.*/, namespace: "sea-asset" }, (args) => ({
      loader: "js",
      contents: `const source = require("node:sea").getAsset(${JSON.stringify(args.path)}, "utf8")
const run = require("node:vm").runInThisContext(require("node:module").wrap(source), { filename: ${
        JSON.stringify(args.path)
      } })
run.call(module.exports, module.exports, require, module, ${JSON.stringify(args.path)}, __dirname)`
    }))
  }
}

/**
 * A CommonJS bundle's namespace imports of Node's built-ins as the modules themselves: esbuild
 * wraps each in __toESM, which copies every export of the module, on every start (a tenth of the
 * fast paths' own start-up). Only namespace imports are rewritten: a default import fails the build.
 */
function plainBuiltins(file) {
  const code = readFileSync(file, "utf8")
  writeFileSync(
    file,
    code.replace(/(\w+) = __toESM\(require\("(node:[\w/]+)"\), 1\)/g, (_, name, id) => {
      if (code.includes(`${name}.default`)) {
        throw new Error(`${file}: import * as ${name} from "${id}", not a default import`)
      }
      return `${name} = require("${id}")`
    })
  )
}

/** Runs a tool, showing its chatter (postject warns about every ELF note it meets) only when it fails. */
function quietly(file, args) {
  const result = spawnSync(file, args, { encoding: "utf8" })
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr)
    throw new Error(`${path.basename(file)} ${args.join(" ")} exited with ${result.status}`)
  }
}

if (process.argv.includes("--sea")) await buildSea()
