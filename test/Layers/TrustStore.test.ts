import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { autoDigest, trustRecordName } from "../../src/AutoConfig/AutoFile.js"
import { resolvePaths } from "../../src/Files/XdgPaths.js"
import { readAutoConfig } from "../../src/Layers/AutoConfigsLive.js"
import { TrustStoreLive } from "../../src/Layers/TrustStoreLive.js"
import { Paths } from "../../src/Services/Paths.js"
import { TrustStore } from "../../src/Services/TrustStore.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-trust-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const layer = TrustStoreLive.pipe(Layer.provide(Layer.succeed(Paths, resolvePaths({}, root))))
const run = <A, E>(effect: Effect.Effect<A, E, TrustStore>) => Effect.runPromise(Effect.provide(effect, layer))

describe("trust store", () => {
  it("uses the original tool's digest and record names", () => {
    const bytes = Buffer.from("{\"server\":\"s\",\"role\":\"r\"}\n")
    const expected = crypto.createHash("sha384").update(
      Buffer.concat([Buffer.from("v0.auto\0\0/p/.mairu.json\0\0"), bytes])
    )
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
    expect(error.path).toBe(file)
    expect(error.problem).toEqual({
      _tag: "NotValid",
      issues: ["role: is missing", "mode: expected \"ecs\" or \"static\""]
    })
  })

  it("accepts a record the original Mairu wrote, byte for byte, and writes records in its format", async () => {
    const file = path.join(root, "from-original", ".mairu.json")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const bytes = Buffer.from(
      "{\n  \"server\": \"contoso\",\n  \"role\": \"111111111111/Admin\",\n  \"mode\": null\n}\n"
    )
    fs.writeFileSync(file, bytes)
    const auto = await Effect.runPromise(readAutoConfig(file))
    expect(auto.config).toEqual({ server: "contoso", role: "111111111111/Admin" })
    const trustDir = path.join(root, ".local", "state", "mairu", "trust")
    fs.mkdirSync(trustDir, { recursive: true })
    const hash = crypto.createHash("sha384").update("v0.auto\0\0").update(file).update("\0\0").update(bytes).digest(
      "base64"
    )
    expect(hash).toHaveLength(64)
    const record = path.join(trustDir, trustRecordName(file))
    const originalRecord =
      `{\n  "path": "${file}",\n  "trust": true,\n  "digest": {\n    "type": "Sha384",\n    "hash": "${hash}"\n  },\n` +
      `  "content": {\n    "server": "contoso",\n    "role": "111111111111/Admin",\n    "mode": null\n  },\n` +
      `  "updated_at": "2025-11-30T12:34:56.123456789Z"\n}\n`
    fs.writeFileSync(record, originalRecord, { mode: 0o600 })
    expect(await run(Effect.flatMap(TrustStore, (t) => t.isTrusted(auto)))).toBe(true)

    // A record for other bytes, or one that withholds trust, does not count.
    fs.writeFileSync(record, originalRecord.replace("\"trust\": true", "\"trust\": false"))
    expect(await run(Effect.flatMap(TrustStore, (t) => t.isTrusted(auto)))).toBe(false)
    fs.writeFileSync(record, originalRecord.replace(hash, Buffer.alloc(48).toString("base64")))
    expect(await run(Effect.flatMap(TrustStore, (t) => t.isTrusted(auto)))).toBe(false)

    // mairu's own approval is written as the original writes it.
    await run(Effect.flatMap(TrustStore, (t) => t.trust(auto)))
    const written = fs.readFileSync(record, "utf8")
    const [, updatedAt] = /"updated_at": "([^"]+)"/.exec(written) ?? []
    expect(updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/)
    expect(written).toBe(originalRecord.replace("2025-11-30T12:34:56.123456789Z", updatedAt!))
    expect(await run(Effect.flatMap(TrustStore, (t) => t.isTrusted(auto)))).toBe(true)
  })

  it("writes the assume_role keys that are set, in the original's order, and keeps accepting mairu's earlier records", async () => {
    const file = path.join(root, "chain", ".mairu.json")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(
      file,
      JSON.stringify({
        role: "r",
        server: "s",
        mode: "static",
        assume_role: { role_session_name: "me", role_arn: "arn:aws:iam::1:role/x", external_id: null }
      })
    )
    const auto = await Effect.runPromise(readAutoConfig(file))
    await run(Effect.flatMap(TrustStore, (t) => t.trust(auto)))
    const record = path.join(root, ".local", "state", "mairu", "trust", trustRecordName(file))
    expect(JSON.parse(fs.readFileSync(record, "utf8")).content).toEqual({
      server: "s",
      role: "r",
      mode: "static",
      assume_role: { role_arn: "arn:aws:iam::1:role/x", role_session_name: "me" }
    })
    expect(Object.keys(JSON.parse(fs.readFileSync(record, "utf8")).content.assume_role)).toEqual([
      "role_arn",
      "role_session_name"
    ])

    // mairu's records before this format: the digest as the base64url string.
    fs.writeFileSync(
      record,
      JSON.stringify(
        {
          path: file,
          trust: true,
          digest: autoDigest(file, fs.readFileSync(file)),
          content: auto.config,
          updated_at: new Date().toISOString()
        },
        null,
        2
      ) + "\n"
    )
    expect(await run(Effect.flatMap(TrustStore, (t) => t.isTrusted(auto)))).toBe(true)
  })
})
