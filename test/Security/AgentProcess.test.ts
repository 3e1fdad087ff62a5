import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { AGENT_START_FLAGS, AGENT_V8_FLAGS } from "../../src/Launcher/AgentFlags.js"
import {
  agentPids,
  cleanupHome,
  collect,
  distCopy,
  mairuBin,
  type MairuHome,
  makeHome,
  runMairu,
  waitForStderr
} from "../support/mairu.js"

const OTHER = 65534
const asOther = ["setpriv", `--reuid=${OTHER}`, `--regid=${OTHER}`, "--clear-groups"]

const homes: Array<MairuHome> = []
const newHome = (env: Record<string, string> = {}) => {
  const home = makeHome(env)
  homes.push(home)
  return home
}
const cleanups: Array<() => void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup()
  await Promise.all(homes.splice(0).map(cleanupHome))
})

/** Runs mairu through a shell that allows core files of any size first, as a user's shell may. */
const runWithCores = (
  home: MairuHome,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  bin = mairuBin
) => {
  const child = spawn("/bin/sh", ["-c", "ulimit -c unlimited; exec \"$@\"", "sh", process.execPath, bin, ...args], {
    env: { ...home.env, ...env },
    detached: true,
    stdio: ["pipe", "pipe", "pipe"]
  })
  child.stdin.end()
  return child
}

const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((v) => v !== "")
const environ = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter((v) => v !== "")

const coreLimit = (pid: number) =>
  fs.readFileSync(`/proc/${pid}/limits`, "utf8").match(/Max core file size\s+(\S+)\s+(\S+)/)!.slice(1)

/** The TCP ports process `pid` listens on. */
const listeningPorts = (pid: number) => {
  const inodes = new Set<string>()
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`)
      const match = target.match(/^socket:\[(\d+)\]$/)
      if (match !== null) inodes.add(match[1]!)
    } catch {
      // closed meanwhile
    }
  }
  const ports: Array<number> = []
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of fs.readFileSync(table, "utf8").split("\n").slice(1)) {
      const columns = line.trim().split(/\s+/)
      if (columns[3] === "0A" && inodes.has(columns[9]!)) ports.push(parseInt(columns[1]!.split(":")[1]!, 16))
    }
  }
  return ports
}

const onlyAgent = (home: MairuHome) => {
  const pids = agentPids(home)
  expect(pids).toHaveLength(1)
  return pids[0]!
}

/** Node binaries to run the agent with: this one, and those MAIRU_TEST_NODES lists (colon-separated). */
const nodes = [process.execPath, ...(process.env.MAIRU_TEST_NODES ?? "").split(":").filter((node) => node !== "")]

const SIGUSR1_BIT = 1n << 9n

/** True when SIGUSR1 waits, blocked, in `pid` (Node's --disable-sigusr1 blocks it: it is never taken). */
const sigusr1Blocked = (pid: number) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const mask = (name: string) => BigInt(`0x${status.match(new RegExp(`^${name}:\\s*([0-9a-f]+)`, "m"))![1]}`)
  return (mask("ShdPnd") & SIGUSR1_BIT) !== 0n && (mask("SigBlk") & SIGUSR1_BIT) !== 0n
}

/**
 * Waits until the agent has dealt with the SIGUSR1s sent so far: its log says it ignored
 * `count` of them, or Node holds the signal blocked. An agent whose Node opened its
 * inspector does neither, and the wait fails.
 */
const signalDealtWith = async (pid: number, log: () => string, count: number) => {
  const deadline = Date.now() + 20_000
  while (log().split("ignored a SIGUSR1").length - 1 < count && !sigusr1Blocked(pid)) {
    if (Date.now() > deadline) throw new Error(`the agent did not deal with SIGUSR1; log: ${log()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Runs mairu with `node`. */
const runWith = (node: string, home: MairuHome, args: ReadonlyArray<string>) => {
  const child = spawn(node, [mairuBin, ...args], { env: home.env, stdio: ["ignore", "pipe", "pipe"] })
  return collect(child)
}

/** The agent is hardened and says so; it still answers. */
const expectHardenedAndServing = async (node: string, home: MairuHome) => {
  const sessions = await runWith(node, home, ["list-sessions"])
  expect(sessions.stderr).toContain("No sessions")
  expect(sessions.code).toBe(0)
  const status = await runWith(node, home, ["status", "--json"])
  const report = JSON.parse(status.stdout) as { agent: { hardening: unknown }; problems: Array<string> }
  expect(report.agent.hardening).toEqual({
    core_dumps_off: true,
    debuggers_blocked: true,
    inspector_closed: true,
    problem: null
  })
  expect(report.problems).toEqual([])
  expect(status.code).toBe(0)
}

describe("the agent's process", () => {
  it.each(nodes)(
    "opens no inspector on SIGUSR1 nor process._debugProcess: no new TCP port, it keeps serving, status says hardened (%s)",
    async (node) => {
      // Started by a client, as usual (detached, logging to its file).
      const home = newHome()
      expect((await runWith(node, home, ["list-sessions"])).code).toBe(0)
      const pid = onlyAgent(home)
      const logFile = path.join(home.stateDir, "mairu", "log", "agent.log")
      const log = () => fs.readFileSync(logFile, "utf8")
      expect(listeningPorts(pid)).toEqual([])
      process.kill(pid, "SIGUSR1")
      await signalDealtWith(pid, log, 1)
      expect(listeningPorts(pid)).toEqual([])
      await expectHardenedAndServing(node, home)
      // Another Node process asks for the debugger as Node's own tools do.
      const debugProcess = spawnSync(node, ["-e", `process._debugProcess(${pid})`], { encoding: "utf8" })
      expect(debugProcess.status).toBe(0)
      await signalDealtWith(pid, log, 2)
      expect(listeningPorts(pid)).toEqual([])
      await expectHardenedAndServing(node, home)

      // Run by hand in the foreground, logging to its terminal.
      const other = newHome()
      const foreground = spawn(node, [mairuBin, "agent", "--foreground"], {
        env: other.env,
        stdio: ["ignore", "ignore", "pipe"]
      })
      cleanups.push(() => foreground.kill("SIGKILL"))
      let stderr = ""
      foreground.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
      await waitForStderr(foreground, /listening on/)
      foreground.kill("SIGUSR1")
      await signalDealtWith(foreground.pid!, () => stderr, 1)
      expect(stderr).not.toContain("Debugger listening")
      expect(listeningPorts(foreground.pid!)).toEqual([])
      await expectHardenedAndServing(node, other)
    }
  )

  it("started by a client with NODE_OPTIONS=--inspect and cores allowed: kept environment, no debugger, no core dumps", async () => {
    const home = newHome()
    const client = runWithCores(home, ["list-sessions"], {
      NODE_OPTIONS: "--inspect=127.0.0.1:0",
      SOME_TOKEN: "not-for-the-agent",
      AWS_SECRET_ACCESS_KEY: "not-for-the-agent-either",
      AWS_REGION: "eu-west-1",
      LC_ALL: "C.UTF-8"
    })
    const result = await collect(client)
    expect(result.stderr).toContain("Debugger listening") // the client's own, which the agent does not inherit
    expect(result.code).toBe(0)
    const pid = onlyAgent(home)
    const env = environ(pid)
    expect(env.filter((v) => /^(NODE_OPTIONS|SOME_TOKEN|AWS_SECRET_ACCESS_KEY)=/.test(v))).toEqual([])
    for (
      const kept of [
        "AWS_REGION=eu-west-1",
        "LC_ALL=C.UTF-8",
        `HOME=${home.env.HOME}`,
        `MAIRU_AGENT_SOCK=${home.socketPath}`
      ]
    ) {
      expect(env).toContain(kept)
    }
    expect(listeningPorts(pid)).toEqual([])
    expect(coreLimit(pid)).toEqual(["0", "0"])
    // Its own flags, those V8 takes only at start among them.
    expect(cmdline(pid).slice(1, 1 + AGENT_V8_FLAGS.length + AGENT_START_FLAGS.length)).toEqual([
      ...AGENT_V8_FLAGS,
      ...AGENT_START_FLAGS
    ])

    const status = await runMairu(home, ["status", "--json"])
    const report = JSON.parse(status.stdout) as { agent: { hardening: unknown } }
    expect(report.agent.hardening).toEqual({
      core_dumps_off: true,
      debuggers_blocked: true,
      inspector_closed: true,
      problem: null
    })
  })

  it("agent --foreground refuses every flag or variable that loads code, opens a debugger or writes memory or keys, NODE_OPTIONS read as Node reads it", async () => {
    const home = newHome()
    const dir = home.root
    const marker = path.join(dir, "preloaded")
    const preload = path.join(dir, "preload.cjs")
    fs.writeFileSync(preload, `require("node:fs").appendFileSync(${JSON.stringify(marker)}, "loaded\\n")`)
    const preloadEsm = path.join(dir, "preload.mjs")
    fs.writeFileSync(preloadEsm, "export {}\n")
    const empty = path.join(dir, "empty")
    fs.writeFileSync(empty, "")
    const out = path.join(dir, "out")
    fs.mkdirSync(out)
    const inNodeOptions = (value: string, refused: string) => ({ env: { NODE_OPTIONS: value }, refused })
    const cases: ReadonlyArray<{ env?: Record<string, string>; args?: ReadonlyArray<string>; refused: string }> = [
      // The quoted and escaped forms that Node honours.
      inNodeOptions(`"--require" ${preload}`, `--require (in NODE_OPTIONS), ${preload} (in NODE_OPTIONS)`),
      inNodeOptions(`"--req\\uire" "${preload}"`, "--require (in NODE_OPTIONS)"),
      inNodeOptions(`--no-warnings -r ${preload}`, "-r (in NODE_OPTIONS)"),
      inNodeOptions(`--require=${preload}`, `--require=${preload} (in NODE_OPTIONS)`),
      inNodeOptions(`--import=${preloadEsm}`, "--import="),
      inNodeOptions(`--experimental-loader=${preloadEsm}`, "--experimental-loader="),
      inNodeOptions(`--loader=${preloadEsm}`, "--loader="),
      inNodeOptions("--inspect=127.0.0.1:0", "--inspect=127.0.0.1:0"),
      inNodeOptions("--inspect-port=0", "--inspect-port=0"),
      inNodeOptions("--debug-port=0", "--debug-port=0"),
      inNodeOptions(`--tls-keylog=${path.join(out, "keys")}`, "--tls-keylog="),
      inNodeOptions(`--openssl-config=${empty}`, "--openssl-config="),
      inNodeOptions("--heapsnapshot-signal=SIGUSR2", "--heapsnapshot-signal=SIGUSR2"),
      inNodeOptions("--heapsnapshot-near-heap-limit=1", "--heapsnapshot-near-heap-limit=1"),
      inNodeOptions(`--diagnostic-dir=${out}`, "--diagnostic-dir="),
      inNodeOptions("--report-on-signal", "--report-on-signal"),
      inNodeOptions("--report-uncaught-exception", "--report-uncaught-exception"),
      inNodeOptions("--report-on-fatalerror", "--report-on-fatalerror"),
      inNodeOptions(`--report-directory=${out}`, "--report-directory="),
      inNodeOptions("--report-filename=report.json", "--report-filename=report.json"),
      inNodeOptions(`--heap-prof --heap-prof-dir=${out}`, "--heap-prof (in NODE_OPTIONS), --heap-prof-dir="),
      inNodeOptions(`--redirect-warnings=${path.join(out, "warnings")}`, "--redirect-warnings="),
      { env: { NODE_OPTIONS: "--inspect=127.0.0.1:0", MAIRU_NO_FAST_PATH: "1" }, refused: "--inspect=127.0.0.1:0" },
      { env: { OPENSSL_CONF: empty }, refused: `OPENSSL_CONF=${empty}` },
      // Node's own flags, some of which NODE_OPTIONS does not take.
      { args: ["--inspect=127.0.0.1:0"], refused: "--inspect=127.0.0.1:0" },
      { args: ["--prof"], refused: "--prof" },
      { args: [`--env-file=${empty}`], refused: `--env-file=${empty}` },
      { args: ["--cpu-prof", `--cpu-prof-dir=${out}`], refused: `--cpu-prof, --cpu-prof-dir=${out}` }
    ]
    const refusals = []
    for (const { args = [], env = {}, refused } of cases) {
      const child = spawn(process.execPath, [...args, mairuBin, "agent", "--foreground"], {
        env: { ...home.env, ...env },
        cwd: out,
        stdio: ["ignore", "pipe", "pipe"]
      })
      refusals.push(collect(child).then((result) => ({ result, refused, env })))
      // Two at a time: each loads the agent's code.
      if (refusals.length % 2 === 0) await refusals[refusals.length - 1]
    }
    for (const { env, refused, result } of await Promise.all(refusals)) {
      expect(result.stderr, refused).toContain(`cannot start the agent: the agent refuses to run with ${refused}`)
      const unset = [
        ...(env.NODE_OPTIONS === undefined ? [] : ["-u NODE_OPTIONS"]),
        ...(env.OPENSSL_CONF === undefined ? [] : ["-u OPENSSL_CONF"])
      ]
      expect(result.stderr, refused).toContain(
        `Start it without: ${unset.length === 0 ? "" : `env ${unset.join(" ")} `}mairu agent --foreground`
      )
      expect(result.code, refused).toBe(1)
    }
    expect(fs.existsSync(home.socketPath)).toBe(false)
    // Node did load the quoted --require: reading NODE_OPTIONS any other way would have let it through.
    expect(fs.readFileSync(marker, "utf8")).toContain("loaded")

    // The agent's own flags, and harmless ones (quoted, or with their value apart), are allowed.
    const allowed = spawn(
      process.execPath,
      [...AGENT_V8_FLAGS, ...AGENT_START_FLAGS, mairuBin, "agent", "--foreground"],
      {
        env: { ...home.env, NODE_OPTIONS: "\"--max-old-space-size=256\" --no-warnings --dns-result-order ipv4first" },
        stdio: ["ignore", "ignore", "pipe"]
      }
    )
    cleanups.push(() => allowed.kill("SIGKILL"))
    await waitForStderr(allowed, /listening on/)
  })

  it("agent --foreground from a shell with ulimit -c unlimited runs with core dumps off", async () => {
    const home = newHome()
    const agent = runWithCores(home, ["agent", "--foreground"])
    cleanups.push(() => agent.kill("SIGKILL"))
    await waitForStderr(agent, /listening on/)
    expect(coreLimit(agent.pid!)).toEqual(["0", "0"])
    const status = await runMairu(home, ["status"])
    expect(status.stdout).toContain("hardening: core dumps off, debuggers blocked, Node's inspector closed")
    expect(status.stdout).toContain("problems: none")
  })

  it("run by another user, is not dumpable: that user's other processes cannot read its /proc files", async () => {
    const home = newHome()
    spawnSync("chown", ["-R", `${OTHER}:${OTHER}`, home.root])
    // That user may not be able to enter the checkout: it runs a copy it can read.
    const copy = distCopy()
    cleanups.push(copy.remove)
    const asNobody = (args: ReadonlyArray<string>) =>
      spawnSync(asOther[0]!, [...asOther.slice(1), ...args], { env: home.env, encoding: "utf8" })
    for (const args of [["agent"], ["agent", "--foreground"]]) {
      if (args.length === 1) {
        expect(asNobody([process.execPath, copy.bin, ...args]).status).toBe(0)
      } else {
        const child = spawn(asOther[0]!, [...asOther.slice(1), process.execPath, copy.bin, ...args], {
          env: home.env,
          stdio: ["ignore", "ignore", "pipe"]
        })
        cleanups.push(() => child.kill("SIGKILL"))
        await waitForStderr(child, /listening on/)
      }
      const pid = onlyAgent(home)
      expect(fs.statSync(`/proc/${pid}`).uid).toBe(OTHER)
      // Not dumpable: the kernel gives its /proc files to root, and a same-user process cannot read them.
      expect(fs.statSync(`/proc/${pid}/environ`).uid).toBe(0)
      const environRead = asNobody(["cat", `/proc/${pid}/environ`])
      expect(environRead.status).not.toBe(0)
      expect(environRead.stderr).toContain("Permission denied")
      expect(asNobody(["cat", `/proc/${pid}/mem`]).status).not.toBe(0)
      // A control: an ordinary process of that user is readable by it.
      const control = asNobody(["sh", "-c", "cat /proc/self/environ >/dev/null"])
      expect(control.status).toBe(0)
      expect(coreLimit(pid)).toEqual(["0", "0"])
      expect(asNobody([process.execPath, copy.bin, "kill-agent"]).status).toBe(0)
    }
  })

  it("without the native helper (a platform koffi ships none for): status counts what is missing as a problem, in words that hold", async () => {
    const copy = distCopy((source) => !source.includes(`${path.sep}koffi`))
    cleanups.push(copy.remove)
    const bin = copy.bin
    const status = async (home: MairuHome) => {
      const json = await collect(
        spawn(process.execPath, [bin, "status", "--json"], { env: home.env, stdio: ["ignore", "pipe", "pipe"] })
      )
      const text = await collect(
        spawn(process.execPath, [bin, "status"], { env: home.env, stdio: ["ignore", "pipe", "pipe"] })
      )
      const report = JSON.parse(json.stdout) as {
        agent: { hardening: { core_dumps_off: boolean; debuggers_blocked: boolean; problem: string } }
        problems: Array<string>
      }
      return { code: json.code, hardening: report.agent.hardening, problems: report.problems, text: text.stdout }
    }
    const helper = `no native helper for linux-${process.arch} in this installation`

    // Started by a client, from a shell that allows core files: the client starts it with core dumps off.
    const home = newHome()
    expect((await collect(runWithCores(home, ["agent"], {}, bin))).code).toBe(0)
    expect(coreLimit(onlyAgent(home))).toEqual(["0", "0"])
    const started = await status(home)
    expect(started.hardening).toEqual({
      core_dumps_off: true,
      debuggers_blocked: false,
      inspector_closed: true,
      problem: helper
    })
    expect(started.problems).toEqual([
      `the agent runs without part of its hardening: your other processes can attach a debugger to it and read ` +
      `its memory (${helper}). Debuggers are blocked through a native helper, which mairu's package and single ` +
      `executable carry for Linux and macOS: install mairu again from its package (see Install in the README)`
    ])
    expect(started.code).toBe(1)
    expect(started.text).toContain("hardening: core dumps off, debuggers not blocked, Node's inspector closed")

    // In the foreground from that shell: core files are possible, and status says so.
    const other = newHome()
    const foreground = runWithCores(other, ["agent", "--foreground"], {}, bin)
    cleanups.push(() => foreground.kill("SIGKILL"))
    await waitForStderr(foreground, /listening on/)
    const unlimited = await status(other)
    expect(unlimited.hardening.core_dumps_off).toBe(false)
    expect(unlimited.problems[0]).toContain(
      "your other processes can attach a debugger to it and read its memory; a crash would write its memory to a " +
        "core file (its core file size limit is not 0)"
    )
    expect(unlimited.text).toContain("hardening: core dumps possible, debuggers not blocked")
    expect(unlimited.code).toBe(1)
  })
})
