import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as http2 from "node:http2"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DevServer } from "../support/devServer.js"
import { cleanupHome, type MairuHome, makeHome, repoRoot, runMairu } from "../support/mairu.js"
import { writeServerFile } from "../support/servers.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

/** What a user of the original Rust Mairu brings along: its files, its agent, servers that follow its rules. */

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

const FULL = { MAIRU_NO_FAST_PATH: "1" }
const VERSION =
  (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version

describe("a Mairu API server as the spec has it", () => {
  it("gets User-Agent mairu/VERSION; an answer without Expiration is an error naming the field, and is not kept", async () => {
    await server.faults({ assumeRole: "no-expiration" })
    try {
      for (const env of [{}, FULL]) {
        const result = await runMairu(home, ["credential-process", "--no-cache", "local", "demo"], { env })
        expect(result.code).toBe(1)
        expect(result.stdout).toBe("")
        expect(result.stderr).toContain("Expiration: is missing")
      }
      // Asked without --no-cache: still an error, so nothing was cached.
      const cachedAsk = await runMairu(home, ["credential-process", "local", "demo"])
      expect(cachedAsk.code).toBe(1)
    } finally {
      await server.faults({ assumeRole: "none" })
    }
    const calls = (await server.stats()).assumeRole["demo"] ?? 0
    const ok = await runMairu(home, ["credential-process", "local", "demo"])
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout).Expiration).toMatch(/Z$/)
    const stats = await server.stats()
    expect(stats.assumeRole["demo"]).toBe(calls + 1)
    expect(stats.apiUserAgents.length).toBeGreaterThan(0)
    expect(new Set(stats.apiUserAgents)).toEqual(new Set([`mairu/${VERSION}`]))
  })

  it("a roles endpoint answering 404 or 405 means no roles, and the session stays logged in", async () => {
    for (const status of ["404", "405"] as const) {
      await server.faults({ roles: status })
      try {
        const result = await runMairu(home, ["list-roles", "local"])
        expect(result.code).toBe(0)
        expect(result.stderr).toBe("")
        expect(result.stdout).not.toContain("demo")
      } finally {
        await server.faults({ roles: "none" })
      }
    }
    const after = await runMairu(home, ["credential-process", "local", "demo"])
    expect(after.code).toBe(0)
  })
})

describe("approvals the original Mairu recorded", () => {
  it("let exec auto run on the fast and the full path without asking again", async () => {
    const project = path.join(home.root, "approved-by-original")
    fs.mkdirSync(path.join(project, "sub"), { recursive: true })
    const file = path.join(project, ".mairu.json")
    const bytes = Buffer.from("{\n  \"server\": \"local\",\n  \"role\": \"demo\",\n  \"mode\": null\n}\n")
    fs.writeFileSync(file, bytes)
    const trustDir = path.join(home.stateDir, "mairu", "trust")
    fs.mkdirSync(trustDir, { recursive: true, mode: 0o700 })
    const name = crypto.createHash("sha256").update(`v0.trust_path\0\0${file}`).digest("base64url")
    const hash = crypto.createHash("sha384").update("v0.auto\0\0").update(file).update("\0\0").update(bytes).digest(
      "base64"
    )
    fs.writeFileSync(
      path.join(trustDir, `trust.${name}.json`),
      `{\n  "path": "${file}",\n  "trust": true,\n  "digest": {\n    "type": "Sha384",\n    "hash": "${hash}"\n  },\n` +
        `  "content": {\n    "server": "local",\n    "role": "demo",\n    "mode": null\n  },\n  "updated_at": "2025-11-30T12:34:56Z"\n}\n`,
      { mode: 0o600 }
    )
    const probe = ["sh", "-c", "echo \"${AWS_CONTAINER_CREDENTIALS_FULL_URI:+ecs}\""]
    for (const env of [{}, FULL]) {
      const result = await runMairu(home, ["exec", "auto", ...probe], { env, cwd: path.join(project, "sub") })
      expect(result.stderr).not.toContain("confirm")
      expect(result.code).toBe(0)
      expect(result.stdout).toBe("ecs\n")
    }
  })
})

describe("the original Mairu's agent on the socket", () => {
  it("is recognised at once, named, and the way out given, on the fast and the full paths", async () => {
    const h = makeHome()
    fs.mkdirSync(path.dirname(h.socketPath), { recursive: true, mode: 0o700 })
    writeServerFile(h.configDir, "local", {
      id: "local",
      url: server.url,
      oauth: { client_id: server.clientId, device_code_grant: {} }
    })
    // Speaks HTTP/2 (gRPC's transport) like the original's agent: a SETTINGS frame first, a GOAWAY for anything else.
    const streams: Array<string> = []
    const fake = http2.createServer()
    fake.on("stream", (stream, headers) => {
      streams.push(String(headers[":path"]))
      stream.respond({ ":status": 200, "content-type": "application/grpc" })
      stream.end()
    })
    await new Promise<void>((resolve) => fake.listen(h.socketPath, resolve))
    try {
      const runs: Array<[ReadonlyArray<string>, Record<string, string>]> = [
        [["credential-process", "local", "demo"], {}],
        [["credential-process", "local", "demo"], FULL],
        [["exec", "--server", "local", "demo", "true"], {}],
        [["exec", "--server", "local", "demo", "true"], FULL],
        [["list-roles", "local"], {}],
        [["login", "local"], {}],
        [["agent"], {}],
        [["kill-agent"], {}]
      ]
      for (const [args, env] of runs) {
        const result = await runMairu(h, args as Array<string>, { env })
        expect({ args, code: result.code }).toEqual({ args, code: 1 })
        expect(result.stdout).toBe("")
        expect(result.stderr).toContain(`the agent at ${h.socketPath} is the original Rust Mairu's agent`)
        // The process that holds the socket is this test's.
        expect(result.stderr).toContain(`(process ${process.pid}, `)
        expect(result.stderr).toContain(`with: kill ${process.pid},`)
        expect(result.stderr).toContain("MAIRU_AGENT_SOCK")
        expect(result.stderr).not.toMatch(/\n\s+at /)
      }
      expect(streams).toEqual([])
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()))
      await cleanupHome(h)
    }
  })
})
