import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { trustRecordPath, trustRecordText } from "../../src/AutoConfig/AutoFile.js"
import { type DevServer, startDevServer } from "../support/devServer.js"
import { agentPids, cleanupHome, collect, mairuBin, type MairuHome, memoryKb, runMairu } from "../support/mairu.js"
import { loginByDevice, makeSsoHome, setUpLocal, setUpSso, tearDownLocal } from "../support/session.js"

// A file that reads without end (its size says 0) and one that is merely large: mairu reads
// neither past 64 KiB, and says which file it did not read.

const TOO_LARGE = "it is larger than 64 KiB"

/** Peak resident memory a mairu command may reach here; reading /proc/self/pagemap takes gigabytes. */
const MAX_PEAK_KB = 300 * 1024

/** The two kinds of file, made at `file`. */
const hostile = {
  pagemap: (file: string) => fs.symlinkSync("/proc/self/pagemap", file),
  "1 MiB": (file: string) =>
    fs.writeFileSync(file, JSON.stringify({ server: "local", role: "demo", pad: "x".repeat(1024 * 1024) }))
}
const kinds = Object.keys(hostile) as Array<keyof typeof hostile>

/**
 * Runs mairu under python3, which reports the command's peak resident memory as the kernel
 * counted it (getrusage of a waited-for child).
 */
const runMeasured = async (home: MairuHome, args: ReadonlyArray<string>, cwd: string) => {
  const script = `import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], capture_output=True, timeout=40)
sys.stdout.buffer.write(r.stdout)
sys.stderr.buffer.write(r.stderr)
sys.stderr.write("\\npeak_kb=%d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(r.returncode if r.returncode >= 0 else 128 - r.returncode)`
  const child = spawn("/usr/bin/python3", ["-c", script, process.execPath, mairuBin, ...args], {
    env: home.env,
    cwd,
    stdio: ["ignore", "pipe", "pipe"]
  })
  const result = await collect(child)
  const peak = Number(result.stderr.match(/\npeak_kb=(\d+)\n$/)![1])
  return { ...result, stderr: result.stderr.replace(/\npeak_kb=\d+\n$/, ""), peakKb: peak }
}

let server: DevServer
let home: MairuHome

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
})
afterAll(() => tearDownLocal({ server, home }))

const project = (name: string) => {
  const dir = path.join(home.root, name)
  fs.mkdirSync(dir, { recursive: true })
  return { dir, file: path.join(dir, ".mairu.json") }
}

describe("files mairu reads are read at most 64 KiB, whatever they point to", () => {
  it.each(kinds)("a .mairu.json (%s): show, status and exec auto refuse it, naming it", async (kind) => {
    const { dir, file } = project(`auto-${kind.replace(/\W/g, "")}`)
    hostile[kind](file)
    const message = `cannot read ${file}: ${TOO_LARGE}`
    for (const args of [["show"], ["status", "--json"], ["exec", "auto", "sh", "-c", "echo should-not-run"]]) {
      const result = await runMeasured(home, args, dir)
      expect(result.stderr + result.stdout, args.join(" ")).toContain(message)
      expect(result.stdout, args.join(" ")).not.toContain("should-not-run")
      expect(result.code, args.join(" ")).toBe(1)
      expect(result.peakKb, args.join(" ")).toBeLessThan(MAX_PEAK_KB)
    }
  })

  it.each(kinds)(
    "a trust record (%s) approves nothing, even one that would, and is not read past the limit",
    async (kind) => {
      const { dir, file } = project(`trust-${kind.replace(/\W/g, "")}`)
      const content = { server: "local", role: "demo" }
      fs.writeFileSync(file, JSON.stringify(content))
      const trustDir = path.join(home.stateDir, "mairu", "trust")
      fs.mkdirSync(trustDir, { recursive: true, mode: 0o700 })
      const record = trustRecordPath(trustDir, file)
      if (kind === "pagemap") {
        hostile[kind](record)
      } else {
        // A record that approves this very file, padded past the limit.
        const approving = JSON.parse(trustRecordText(file, fs.readFileSync(file), content, new Date())) as object
        fs.writeFileSync(record, JSON.stringify({ ...approving, pad: "x".repeat(1024 * 1024) }))
      }
      for (const args of [["status", "--json"], ["exec", "auto", "sh", "-c", "echo should-not-run"]]) {
        const result = await runMeasured(home, args, dir)
        expect(result.stderr + result.stdout, args.join(" ")).toContain(`${file} is not trusted yet`)
        expect(result.stdout, args.join(" ")).not.toContain("should-not-run")
        expect(result.code, args.join(" ")).toBe(1)
        expect(result.peakKb, args.join(" ")).toBeLessThan(MAX_PEAK_KB)
      }
    }
  )

  it.each(kinds)(
    "a servers.d file (%s) is skipped with a warning that names it, by commands and the agent",
    async (kind) => {
      const serversDir = path.join(home.configDir, "mairu", "servers.d")
      const file = path.join(serversDir, `hostile-${kind.replace(/\W/g, "")}.json`)
      hostile[kind](file)
      try {
        const warning = `warning: skipped server file ${file}: ${TOO_LARGE}`
        const status = await runMeasured(home, ["status", "--json"], home.root)
        const report = JSON.parse(status.stdout) as { problems: Array<string>; agent: { running: boolean } }
        expect(report.agent.running).toBe(true)
        expect(report.problems.filter((problem) => problem.startsWith(warning))).toHaveLength(1)
        expect(status.peakKb).toBeLessThan(MAX_PEAK_KB)
        // The agent read it too (it looks servers up itself), and still serves the others.
        const credentials = await runMairu(home, ["credential-process", "local", "123456789012/Developer"])
        expect(credentials.stderr).toContain(warning)
        expect(JSON.parse(credentials.stdout).AccessKeyId).toMatch(/^ASIA/)
        const agent = agentPids(home)[0]!
        expect(memoryKb(agent, "VmHWM")).toBeLessThan(MAX_PEAK_KB)
      } finally {
        fs.rmSync(file)
      }
    }
  )
})

describe("an SSO client registration in the cache", () => {
  it.each(kinds)("(%s) is not read past the limit: the agent says so in its log and registers again", async (kind) => {
    const sso = await startDevServer()
    const ssoHome = makeSsoHome(sso)
    try {
      const setup = await setUpSso(ssoHome, sso)
      expect(setup.code).toBe(0)
      const cacheDir = path.join(ssoHome.stateDir, "mairu", "cache")
      const cached = fs.readdirSync(cacheDir).filter((name) => /^awssso_c\..*\.device\.json$/.test(name))
      expect(cached).toHaveLength(1)
      const file = path.join(cacheDir, cached[0]!)
      fs.rmSync(file)
      hostile[kind](file)
      const registrations = (await sso.stats()).sso.registerClient

      await loginByDevice(ssoHome, sso, "contoso")
      const log = fs.readFileSync(path.join(ssoHome.stateDir, "mairu", "log", "agent.log"), "utf8")
      expect(log).toContain(`not using the cached client registration ${file}: ${TOO_LARGE}`)
      expect((await sso.stats()).sso.registerClient).toBe(registrations + 1)
      // Registered anew: the cache holds a registration file again, not the link.
      expect(fs.lstatSync(file).isFile()).toBe(true)
      expect(memoryKb(agentPids(ssoHome)[0]!, "VmHWM")).toBeLessThan(MAX_PEAK_KB)
    } finally {
      await cleanupHome(ssoHome)
      await sso.stop()
    }
  })
})
