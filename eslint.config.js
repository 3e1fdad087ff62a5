import js from "@eslint/js"
import nodePlugin from "eslint-plugin-n"
import tseslint from "typescript-eslint"

// Modules the fast paths (credential-process, exec, --help, --version) load: they must not load
// Effect, neither directly nor through a module that does (type imports are erased, so they pass).
const effectFree = [
  "src/main.ts",
  "src/FastPaths.ts",
  "src/Sea.ts",
  "src/RandomToken.ts",
  "src/Version.ts",
  "src/FastPath/**",
  "src/Wire/**",
  "src/Launcher/**",
  "src/Platform/**",
  "src/Terminal/**",
  "src/AutoConfig/**",
  "src/Exec/**",
  "src/Credentials/**",
  "src/Files/**",
  "src/Schemas/ProtocolVersion.ts",
  "src/Schemas/UrlPolicy.ts"
]

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".tmp/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-console": "error"
    }
  },
  {
    files: effectFree,
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [
          {
            group: ["effect", "effect/*", "@effect/*"],
            allowTypeImports: true,
            message: "The fast paths must not load Effect: keep this module plain (see effectFree in eslint.config.js)."
          },
          {
            group: [
              "**/Schemas/*",
              "!**/Schemas/ProtocolVersion.js",
              "!**/Schemas/UrlPolicy.js",
              "**/Services/*",
              "**/Layers/*",
              "**/Agent/**",
              "**/Client/*",
              "**/Commands/*",
              "**/Cli.js",
              "**/FullCli.js",
              "**/AgentEntry.js",
              "**/ProcessExit.js"
            ],
            allowTypeImports: true,
            message: "This module loads Effect; a fast-path module may import only its types (import type)."
          }
        ]
      }]
    }
  },
  // No Node.js API newer than package.json's `engines` (the oldest Node.js mairu runs on).
  {
    files: ["src/**/*.ts", "scripts/**/*.mjs"],
    plugins: { n: nodePlugin },
    languageOptions: { globals: nodePlugin.configs["flat/recommended-module"].languageOptions.globals },
    rules: {
      // fetch: built in, without a flag, since Node.js 18 (marked stable in 21).
      "n/no-unsupported-features/node-builtins": ["error", { ignores: ["fetch"] }],
      "n/no-unsupported-features/es-builtins": "error",
      "n/no-unsupported-features/es-syntax": "error"
    }
  },
  {
    files: ["scripts/**", "test/**", "src/DevServer/**"],
    rules: { "no-console": "off" }
  },
  {
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly" } }
  }
)
