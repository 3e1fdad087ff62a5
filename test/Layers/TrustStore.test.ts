import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { readAutoConfig } from "../../src/Layers/AutoConfigsLive.js"
import { TrustStoreLive } from "../../src/Layers/TrustStoreLive.js"
import { autoDigest, trustRecordName } from "../../src/Plain/AutoFile.js"
import { resolvePaths } from "../../src/Plain/XdgPaths.js"
import { Paths } from "../../src/Services/Paths.js"
import { TrustStore } from "../../src/Services/TrustStore.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-trust-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const layer = TrustStoreLive.pipe(Layer.provide(Layer.succeed(Paths, resolvePaths({}, root))))
const run = <A, E>(effect: Effect.Effect<A, E, TrustStore>) => Effect.runPromise(Effect.provide(effect, layer))

describe("trust store", () => {
  it("uses the original tool's digest and record names", () => {
    const bytes = Buffer.from('{"server":"s","role":"r"}\n')
    const expected = crypto.createHash("sha384").update(Buffer.concat([Buffer.from("v0.auto\0\0/p/.mairu.json\0\0"), bytes]))
      .digest("base64url")
    expect(autoDigest("/p/.mairu.json", bytes)).toBe(expected)
    expect(expected).not.toContain("=")
    const name = crypto.createHash("sha256").update("v0.trust_path\0\0/p/.mairu.json").digest("base64url")
    expect(trustRecordName("/p/.mairu.json")).toBe(`trust.${name}.json`)
  })

  it("trusts exactly the bytes approved at that path", async () => {
    const file = path.join(root, "project", ".mairu.json")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify({ server: "s", role: "r" }))
    const auto = await Effect.runPromise(readAutoConfig(file))
    expect(await run(Effect.flatMap(TrustStore, (t) => t.isTrusted(auto)))).toBe(false)
    await run(Effect.flatMap(TrustStore, (t) => t.trust(auto)))
    expect(await run(Effect.flatMap(TrustStore, (t) => t.isTrusted(auto)))).toBe(true)
    const record = path.join(root, ".local", "state", "mairu", "trust", trustRecordName(file))
    expect(fs.statSync(record).mode & 0o777).toBe(0o600)

    fs.writeFileSync(file, JSON.stringify({ server: "s", role: "other" }))
    const changed = await Effect.runPromise(readAutoConfig(file))
    expect(await run(Effect.flatMap(TrustStore, (t) => t.isTrusted(changed)))).toBe(false)
  })

  it("refuses a .mairu.json that does not parse, naming the file and the field", async () => {
    const file = path.join(root, "bad", ".mairu.json")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify({ server: "s", mode: "weird" }))
    const error = await Effect.runPromise(Effect.flip(readAutoConfig(file)))
    expect(error.message).toContain(file)
    expect(error.message).toContain("role")
    expect(error.message).toContain("mode")
  })
})
