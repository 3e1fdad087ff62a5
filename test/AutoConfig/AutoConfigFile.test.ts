import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { autoConfigProblemText, decodeAutoConfigFile, loadAutoConfig } from "../../src/AutoConfig/AutoConfigFile.js"
import { failureText } from "../../src/Client/Failure.js"
import { readAutoConfig } from "../../src/Layers/AutoConfigsLive.js"
import { BAD_AUTO_CONFIGS } from "../support/autoConfigs.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-auto-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const write = (name: string, content: string) => {
  const file = path.join(root, name, ".mairu.json")
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, content)
  return file
}

describe("a .mairu.json", () => {
  it.effect("is refused for each bad field, the same way by the plain reading and the AutoConfigs service", () =>
    Effect.gen(function*() {
      for (const [index, [content, said]] of BAD_AUTO_CONFIGS.entries()) {
        const file = write(`bad-${index}`, content)
        const plain = loadAutoConfig(file)
        expect(plain).toEqual({ ok: false, problem: { _tag: "NotValid", issues: said.split("; ") } })
        const error = yield* Effect.flip(readAutoConfig(file))
        expect(error.problem).toEqual(plain.ok ? undefined : plain.problem)
        expect(failureText(error)).toBe(`${file} is not a valid .mairu.json: ${said}`)
      }
    }))

  it("says why JSON that does not parse, or holds control characters, is not used", () => {
    const broken = write("broken", "{ server")
    const notJson = loadAutoConfig(broken)
    expect(notJson.ok ? undefined : autoConfigProblemText(broken, notJson.problem)).toMatch(
      new RegExp(`^${broken} is not valid JSON \\(.+\\)$`)
    )
    const hidden = write("hidden", JSON.stringify({ server: "s", role: "r\u202e" }))
    const control = loadAutoConfig(hidden)
    expect(control.ok ? undefined : control.problem).toEqual({ _tag: "ControlCharacters", field: "\"role\"" })
  })

  it("takes null as absent and ignores keys it does not know, as the original Mairu does", () => {
    expect(decodeAutoConfigFile({
      server: "s",
      role: "r",
      mode: null,
      region: null,
      extra: 1,
      assume_role: { role_arn: "a", external_id: null, duration_seconds: 900 }
    })).toEqual({
      ok: true,
      value: { server: "s", role: "r", assume_role: { role_arn: "a", duration_seconds: 900 } }
    })
    expect(decodeAutoConfigFile({ server: "s", role: "r", mode: "static", region: "eu-west-1", assume_role: null }))
      .toEqual({ ok: true, value: { server: "s", role: "r", mode: "static", region: "eu-west-1" } })
  })
})
