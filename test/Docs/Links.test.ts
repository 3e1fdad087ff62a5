import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const root = path.join(import.meta.dirname, "..", "..")

/** The repository's markdown: the top-level files and everything in docs/. */
const markdownFiles = (): Array<string> => [
  ...fs.readdirSync(root).filter((name) => name.endsWith(".md")),
  ...fs.readdirSync(path.join(root, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)
]

/** The lines of a markdown file outside fenced code blocks. */
const proseLines = (text: string): Array<string> => {
  let fenced = false
  return text.split("\n").filter((line) => {
    if (line.startsWith("```")) {
      fenced = !fenced
      return false
    }
    return !fenced
  })
}

const inlineCode = /`([^`]+)`/g

/** GitHub's heading anchor: markup dropped, lower case, punctuation but `-` and `_` removed, spaces as `-`. */
const slug = (heading: string): string =>
  heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-")

/** Every anchor a file's headings get on GitHub, with `-1`, `-2`, … on repeats. */
const anchors = (text: string): Set<string> => {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const line of proseLines(text)) {
    const heading = /^#{1,6} +(.*?) *#*$/.exec(line)
    if (heading === null) continue
    const base = slug(heading[1]!)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    result.add(count === 0 ? base : `${base}-${count}`)
  }
  return result
}

/** Every link target of a file's prose (code spans are not links, so they are blanked first). */
const linkTargets = (text: string): Array<string> =>
  proseLines(text).flatMap((line) =>
    [...line.replace(inlineCode, "code").matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((match) => match[1]!)
  )

/** What is wrong with a relative link from `file`, or undefined when it leads somewhere. */
const brokenLink = (file: string, target: string): string | undefined => {
  const [targetPath, anchor] = target.split("#", 2) as [string, string | undefined]
  const resolved = targetPath === "" ? file : path.posix.join(path.posix.dirname(file), targetPath)
  if (!fs.existsSync(path.join(root, resolved))) return `${file}: ${target}: no file ${resolved}`
  if (anchor === undefined || anchor === "") return undefined
  if (!resolved.endsWith(".md")) return `${file}: ${target}: an anchor into a file that is not markdown`
  const known = anchors(fs.readFileSync(path.join(root, resolved), "utf8"))
  return known.has(anchor) ? undefined : `${file}: ${target}: no heading with the anchor #${anchor} in ${resolved}`
}

/**
 * A code span that names a source path: `src/…`, `test/…`, `scripts/…`, or a path below src/ such as
 * `Agent/Handlers.ts` or `Wire/`. A segment in capitals is a placeholder (`src/Commands/NAME.ts`).
 */
const sourcePath = /^(?:(?:src|test|scripts)\/[\w./-]*|[A-Z]\w*(?:\/\w+)*(?:\/|\/\w+\.(?:ts|mjs)))$/
const placeholder = /(?:^|\/)[A-Z]{2,}(?:\.\w+)?$/

/** The source paths a file's prose names. */
const sourcePaths = (text: string): Array<string> =>
  proseLines(text).flatMap((line) =>
    [...line.matchAll(inlineCode)].map((match) => match[1]!).filter((span) =>
      sourcePath.test(span) && !placeholder.test(span)
    )
  )

describe("the docs", () => {
  it("finds the files it checks", () => {
    const files = markdownFiles()
    expect(files).toContain("README.md")
    expect(files).toContain("CONTRIBUTING.md")
    expect(files).toContain("docs/commands.md")
  })

  it("finds headings and links as GitHub does", () => {
    const text = [
      "# Commands",
      "## `mairu login [--oauth-grant-type code|device_code] [--no-browser] SERVER`",
      "## The `auto` role and `.mairu.json`",
      "```sh",
      "# ~/.aws/config",
      "[not](a-link.md)",
      "```",
      "## Commands",
      "See [`mairu login`](#mairu-login) and `[code](not-a-link.md)`, or [the README](../README.md#try-it \"title\")."
    ].join("\n")
    expect([...anchors(text)]).toEqual([
      "commands",
      "mairu-login---oauth-grant-type-codedevice_code---no-browser-server",
      "the-auto-role-and-mairujson",
      "commands-1"
    ])
    expect(linkTargets(text)).toEqual(["#mairu-login", "../README.md#try-it"])
    expect(sourcePaths("`src/Wire/`, `Agent/Handlers.ts`, `src/Commands/NAME.ts`, `acme/ReadOnly`, `{state}/trust/`"))
      .toEqual(["src/Wire/", "Agent/Handlers.ts"])
  })

  it("link only to files and headings that exist", () => {
    const relative = markdownFiles().flatMap((file) =>
      linkTargets(fs.readFileSync(path.join(root, file), "utf8"))
        .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
        .map((target) => ({ file, target }))
    )
    expect(relative.filter(({ target }) => target.includes("#")).length).toBeGreaterThan(20)
    expect(relative.map(({ file, target }) => brokenLink(file, target)).filter((problem) => problem !== undefined))
      .toEqual([])
  })

  it("name only source paths that exist, from the repository's root or from src/", () => {
    const named = markdownFiles().flatMap((file) =>
      sourcePaths(fs.readFileSync(path.join(root, file), "utf8")).map((span) => ({ file, span }))
    )
    expect(named.length).toBeGreaterThan(40)
    const exists = (span: string) => [root, path.join(root, "src")].some((dir) => fs.existsSync(path.join(dir, span)))
    expect(named.filter(({ span }) => !exists(span)).map(({ file, span }) => `${file}: ${span}`)).toEqual([])
  })
})
