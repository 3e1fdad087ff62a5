import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { collect, mairuBin, type MairuHome } from "../support/mairu.js"
import { otherUserHolds } from "../support/otherUser.js"
import { writeProbes } from "../support/probes.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

const ROLE = "123456789012/Developer"

/** Resolves once `file` exists, with its content. */
const waitForFile = async (file: string) => {
  for (let waited = 0; waited < 20_000; waited += 100) {
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8").endsWith("\n")) return fs.readFileSync(file, "utf8")
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${file} did not appear within 20 s`)
}

describe.each([
  { path: "fast", env: {} },
  { path: "full", env: { MAIRU_NO_FAST_PATH: "1" } }
])("the ecs endpoint of exec ($path path)", ({ env, path: which }) => {
  it("another local user holding 400 idle connections keeps at most 8; the command, at ulimit -n 256, gets credentials through the AWS SDK", async () => {
    const dir = fs.mkdtempSync(path.join(home.root, `ecs-${which}-`))
    const { sdkProbe } = writeProbes(home)
    // The command tells the test where its endpoint is, waits for the attack to be in place, then asks.
    const command = `echo "$AWS_CONTAINER_CREDENTIALS_FULL_URI" > ${dir}/url; ` +
      `while [ ! -e ${dir}/go ]; do sleep 0.1; done; ` +
      `exec ${process.execPath} ${sdkProbe} ${server.stsEndpoint}`
    const child = spawn(
      "sh",
      [
        "-c",
        "ulimit -n 256 && exec \"$@\"",
        "sh",
        process.execPath,
        mairuBin,
        "exec",
        "--mode",
        "ecs",
        "--server",
        "local",
        ROLE,
        "sh",
        "-c",
        command
      ],
      { env: { ...home.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }
    )
    const done = collect(child)
    onTestFinished(() => void child.kill("SIGKILL"))
    const url = new URL((await waitForFile(path.join(dir, "url"))).trim())
    const held = await otherUserHolds(Number(url.port), 400, 8)
    try {
      fs.writeFileSync(path.join(dir, "go"), "")
      const result = await done
      expect(result.stderr).not.toContain(":: mairu ::")
      expect(result.code).toBe(0)
      const probe = JSON.parse(result.stdout) as { arns: Array<string> }
      expect(probe.arns[0]).toContain(":assumed-role/Developer/")
      expect(held.report.connected).toBeGreaterThan(0)
      expect(held.report.connected - held.report.closed).toBeLessThanOrEqual(8)
    } finally {
      await held.release()
    }
  })
})
