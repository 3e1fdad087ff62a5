import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { repoRoot } from "../support/mairu.js"

// What the hot paths' bundles (of the dist/ that `npm test` built first) are made of: Node compiles
// the entry on every start, so it holds only what choosing a path, --version and --help need; the
// fast paths' bundle loads no Effect (the lint rule keeps the sources so, this keeps the build so).

const sourcesOf = (bundle: string): ReadonlyArray<string> => {
  const map = JSON.parse(fs.readFileSync(path.join(repoRoot, "dist", `${bundle}.map`), "utf8")) as {
    readonly sources: ReadonlyArray<string>
  }
  return map.sources.map((source) => path.relative(repoRoot, path.resolve(repoRoot, "dist", source)))
}

describe("the hot paths' bundles", () => {
  it("bundle no package: neither Effect nor anything else from node_modules", () => {
    for (const bundle of ["mairu.cjs", "fastpaths.cjs"]) {
      const sources = sourcesOf(bundle)
      expect(sources.length).toBeGreaterThan(5)
      expect(sources.filter((source) => !source.startsWith("src/"))).toEqual([])
    }
  })

  it("keep the entry to choosing a path: no wire, launcher, platform seam or command of its own", () => {
    const sources = sourcesOf("mairu.cjs")
    expect(sources).toContain("src/main.ts")
    expect(sources.filter((source) => /^src\/(Wire|Exec|Credentials|AutoConfig|Agent|Client)\//.test(source)))
      .toEqual([])
    expect(sources.filter((source) => source.startsWith("src/Launcher/"))).toEqual(["src/Launcher/AgentFlags.ts"])
    expect(sources.filter((source) => source.startsWith("src/Platform/"))).toEqual(["src/Platform/Inspector.ts"])
  })
})
