import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { collect, type MairuHome, runMairu, startMairu, waitForStderr } from "../support/mairu.js"
import { writeProbes } from "../support/probes.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome
let probes: ReturnType<typeof writeProbes>

beforeAll(async () => {
  // Credentials that live 4 seconds: a program running for longer sees them rotate.
  ;({ server, home } = await setUpLocal({ server: { credentialTtl: 4 } }))
  probes = writeProbes(home)
})
afterAll(() => tearDownLocal({ server, home }))

describe("exec in ecs mode over time", () => {
  it("keeps a program working across credential rotations", async () => {
    const result = await runMairu(home, [
      "exec",
      "--server",
      "local",
      "demo",
      process.execPath,
      probes.sdkProbe,
      server.stsEndpoint,
      "5",
      "1500"
    ])
    expect(result.code).toBe(0)
    const seen = JSON.parse(result.stdout)
    expect(seen.arns).toHaveLength(5)
    expect(new Set(seen.arns)).toEqual(new Set(["arn:aws:sts::123456789012:assumed-role/demo/alice"]))
    expect(seen.keys).toBeGreaterThan(1)
  })

  it("tells the user when the session ends while the command runs, and answers with an error status", async () => {
    const marker = path.join(home.root, "revoked")
    const script = `
const fs = await import("node:fs")
const get = () => fetch(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { authorization: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN } })
console.error("first " + (await get()).status)
while (!fs.existsSync(${JSON.stringify(marker)})) await new Promise((r) => setTimeout(r, 50))
const second = await get()
console.error("second " + second.status + " " + JSON.stringify(Object.keys(await second.json())))`
    const child = startMairu(home, [
      "exec",
      "--server",
      "local",
      "demo",
      process.execPath,
      "--input-type=module",
      "-e",
      script
    ])
    child.stdin.end()
    const done = collect(child)
    await waitForStderr(child, /first 200/)
    await server.revoke()
    fs.writeFileSync(marker, "")
    const result = await done
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("second 503 [\"code\",\"message\"]")
    expect(result.stderr).toContain("cannot renew credentials for demo from local")
    expect(result.stderr).toContain("mairu login local")
  })
})
