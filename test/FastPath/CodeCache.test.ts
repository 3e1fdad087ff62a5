import * as fs from "node:fs"
import type * as net from "node:net"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startFakeAgent, stopFakeAgent } from "../support/fakeAgent.js"
import { type MairuHome, makeHome, runMairu } from "../support/mairu.js"

// The fast paths run from dist/fastpaths.cjs through V8's code cache, kept in the user's state folder.
let home: MairuHome
let agent: net.Server
let cacheDir: string

const CREDENTIALS = {
  accessKeyId: "AKIDCACHE",
  secretAccessKey: "secret",
  sessionToken: "token",
  expiration: new Date(Date.now() + 3_600_000).toISOString(),
  noCache: false
}

beforeAll(async () => {
  home = makeHome()
  cacheDir = path.join(home.stateDir, "mairu", "cache", "code")
  // An agent that resolves any server to itself and hands out the same credentials.
  agent = await startFakeAgent(home.socketPath, ({ id, request }, socket) => {
    const value = request._tag === "ResolveServer"
      ? { id: "local", url: "https://fake.invalid/", kind: "mairu_api", file: "/fake.json" }
      : CREDENTIALS
    socket.write(JSON.stringify({ id, exit: { _tag: "Success", value } }) + "\n")
  })
})
afterAll(async () => {
  await stopFakeAgent(agent)
  fs.rmSync(home.root, { recursive: true, force: true })
})

const credentialProcess = async () => {
  const result = await runMairu(home, ["credential-process", "local", "demo"])
  expect(result.stderr).toBe("")
  expect(JSON.parse(result.stdout).AccessKeyId).toBe("AKIDCACHE")
  return result
}

const entries = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).sort() : [])
const entryOf = (variant: string) => {
  const name = entries().find((entry) => entry.startsWith(`${variant}-`))
  expect(name).toBeDefined()
  return path.join(cacheDir, name!)
}
const mode = (file: string) => fs.statSync(file).mode & 0o777

describe("the fast paths' code cache", () => {
  it("keeps each fast path's compiled code in the user's own folder, closed to others, and uses it", async () => {
    await credentialProcess()
    const exec = await runMairu(home, ["exec", "--server", "local", "--mode", "static", "demo", "true"])
    expect(exec.code).toBe(0)
    expect(entries().map((name) => name.split("-v")[0])).toEqual(["credential-process", "exec"])
    expect(mode(cacheDir)).toBe(0o700)
    const entry = entryOf("credential-process")
    expect(mode(entry)).toBe(0o600)
    expect(fs.statSync(entry).uid).toBe(process.getuid!())
    // Used as it is: not written again.
    const before = fs.statSync(entry)
    await credentialProcess()
    expect(fs.statSync(entry)).toMatchObject({ ino: before.ino, mtimeMs: before.mtimeMs })
  })

  it("replaces an entry that V8 cannot use, or that others could have written, with code of its own", async () => {
    const entry = entryOf("credential-process")
    fs.writeFileSync(entry, "not V8 code at all")
    await credentialProcess()
    expect(fs.readFileSync(entry, "utf8")).not.toBe("not V8 code at all")
    // Writable by others: never read, even if its content were fine.
    fs.chmodSync(entry, 0o666)
    const planted = fs.statSync(entry).ino
    await credentialProcess()
    expect(fs.statSync(entry).ino).not.toBe(planted)
    expect(mode(entry)).toBe(0o600)
    // Another user's: the same.
    fs.chownSync(entry, 65534, 65534)
    await credentialProcess()
    expect(fs.statSync(entry).uid).toBe(process.getuid!())
  })

  it("leaves a folder that is not the user's own untouched, and runs without it", async () => {
    const entry = entryOf("credential-process")
    fs.writeFileSync(entry, "planted")
    fs.chmodSync(cacheDir, 0o777)
    try {
      await credentialProcess()
      expect(fs.readFileSync(entry, "utf8")).toBe("planted")
    } finally {
      fs.chmodSync(cacheDir, 0o700)
    }
    // A symbolic link to a folder of the user's is refused as well.
    const elsewhere = path.join(home.root, "elsewhere")
    fs.renameSync(cacheDir, elsewhere)
    fs.symlinkSync(elsewhere, cacheDir)
    await credentialProcess()
    expect(fs.readFileSync(path.join(elsewhere, path.basename(entry)), "utf8")).toBe("planted")
    fs.rmSync(cacheDir)
    fs.renameSync(elsewhere, cacheDir)
  })

  it("removes a fast path's entries of other builds when it writes its own", async () => {
    const stale = path.join(cacheDir, "credential-process-v0.0.0-x64-1-1-1.v8")
    fs.writeFileSync(stale, "old", { mode: 0o600 })
    fs.rmSync(entryOf("credential-process"))
    await credentialProcess()
    expect(fs.existsSync(stale)).toBe(false)
    expect(entries().filter((name) => name.startsWith("credential-process-"))).toHaveLength(1)
  })
})
