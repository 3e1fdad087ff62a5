import { describe, expect, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { Settings, variable } from "../../src/Services/Settings.js"
import { settingsFrom } from "../support/settings.js"

const root = path.join(import.meta.dirname, "..", "..")
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")
const sources = (dir: string): Array<string> =>
  fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(path.join(dir, entry.name))
      : entry.name.endsWith(".ts")
      ? [path.join(dir, entry.name)]
      : []
  )

/** Every environment variable the code reads: through the Settings layer's Config, or `env.X` in the plain modules. */
const variablesRead = (): Set<string> => {
  const names = new Set<string>()
  for (const file of sources("src").filter((f) => !f.includes(`${path.sep}DevServer${path.sep}`))) {
    const text = read(file)
    for (const match of text.matchAll(/\b(?:text|flag|seconds|variable)\("([A-Z][A-Z0-9_]*)"/g)) names.add(match[1]!)
    for (const match of text.matchAll(/\beither\("([A-Z][A-Z0-9_]*)", "([A-Z][A-Z0-9_]*)"\)/g)) {
      names.add(match[1]!)
      names.add(match[2]!)
    }
    for (const match of text.matchAll(/\b(?:env|process\.env)\.([A-Z][A-Z0-9_]*)/g)) names.add(match[1]!)
  }
  return names
}

describe("settings", () => {
  it.effect("come from the ConfigProvider, with an empty value counting as unset", () =>
    Effect.gen(function*() {
      const settings = yield* Settings
      expect(settings.home).toBe("/home/u")
      expect(yield* Config.option(variable("MAIRU_SERVER"))).toEqual(Option.none())
      expect(settings.showAutoRole).toBe(false)
      expect(Duration.toSeconds(settings.refreshIdle)).toBe(60)
      expect(Duration.toSeconds(settings.refreshSpread)).toBe(120)
      expect(settings.awsRegion).toEqual(Option.some("eu-west-1"))
      expect(settings.overSsh).toBe(true)
    }).pipe(Effect.provide(settingsFrom({
      HOME: "/home/u",
      MAIRU_SERVER: "",
      MAIRU_SHOW_AUTO_ROLE: "false",
      MAIRU_AGENT_REFRESH_IDLE: "60",
      MAIRU_AGENT_REFRESH_SPREAD: "soon",
      AWS_DEFAULT_REGION: "eu-west-1",
      SSH_TTY: "/dev/pts/1"
    }))))

  it("are each documented in the README or docs/", () => {
    const documented = [
      read("README.md"),
      ...fs.readdirSync(path.join(root, "docs")).filter((name) => name.endsWith(".md")).map((name) =>
        read(path.join("docs", name))
      )
    ].join("\n")
    const read_ = [...variablesRead()]
    expect(read_).toContain("MAIRU_AGENT_SOCK")
    expect(read_).toContain("XDG_RUNTIME_DIR")
    expect(read_.filter((name) => !documented.includes("`" + name + "`"))).toEqual([])
  })
})
