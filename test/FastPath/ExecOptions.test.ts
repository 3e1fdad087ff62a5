import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import { describe, expect, it } from "vitest"
import { execCommand } from "../../src/Commands/Exec.js"
import { EXEC_VALUE_OPTIONS } from "../../src/Exec/ExecArgv.js"
import { FAST_EXEC_OPTIONS } from "../../src/FastPath/Exec.js"

const ESC = String.fromCharCode(27)

/** The full CLI's exec options as its help lists them: each name, and whether it takes a value. */
const fullCliOptions = (): Map<string, "value" | "flag"> => {
  const help = HelpDoc.toAnsiText(Command.getHelp(execCommand, CliConfig.defaultConfig))
    .replace(new RegExp(`${ESC}\\[[0-9;]*m`, "g"), "")
  const options = help.slice(help.indexOf("OPTIONS")).split("\n").filter((line) => /^\(?-/.test(line))
  const found = new Map<string, "value" | "flag">()
  for (const line of options) {
    const words = line.replace(/[()]/g, "").split(/,? /)
    const names = words.filter((word) => /^--?[a-z]/i.test(word))
    const kind = words.length > names.length ? "value" : "flag"
    for (const name of names) found.set(name, kind)
  }
  return found
}

describe("exec's options", () => {
  it("the fast path takes only options the full CLI has, of the same kind", () => {
    const full = fullCliOptions()
    expect(full.get("--server")).toBe("value")
    expect(full.get("--no-cache")).toBe("flag")
    for (const [name, kind] of Object.entries(FAST_EXEC_OPTIONS)) expect([name, full.get(name)]).toEqual([name, kind])
  })

  it("the hand split of exec's argv knows every option of the full CLI that takes a value", () => {
    const valueOptions = [...fullCliOptions()].filter(([, kind]) => kind === "value").map(([name]) => name)
    expect(new Set(valueOptions)).toEqual(EXEC_VALUE_OPTIONS)
  })
})
