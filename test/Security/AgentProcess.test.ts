import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
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

describe("the agent's process", () => {
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

    const status = await runMairu(home, ["status", "--json"])
    const report = JSON.parse(status.stdout) as { agent: { hardening: unknown } }
    expect(report.agent.hardening).toEqual({ core_dumps_off: true, debuggers_blocked: true, problem: null })
  })

  it("agent --foreground refuses NODE_OPTIONS or node flags that open a debugger or load code", async () => {
    const home = newHome()
    for (
      const [env, nodeArgs] of [
        [{ NODE_OPTIONS: "--inspect=127.0.0.1:0" }, []],
        [{ NODE_OPTIONS: "--require /dev/null" }, []],
        [{ NODE_OPTIONS: "--inspect=127.0.0.1:0", MAIRU_NO_FAST_PATH: "1" }, []],
        [{}, ["--inspect=127.0.0.1:0"]]
      ] as const
    ) {
      const child = spawn(process.execPath, [...nodeArgs, mairuBin, "agent", "--foreground"], {
        env: { ...home.env, ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const result = await collect(child)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain("cannot start the agent: the agent refuses to run with --")
      expect(result.stderr).toContain("env -u NODE_OPTIONS mairu agent --foreground")
      expect(fs.existsSync(home.socketPath)).toBe(false)
    }
  })

  it("agent --foreground from a shell with ulimit -c unlimited runs with core dumps off", async () => {
    const home = newHome()
    const agent = runWithCores(home, ["agent", "--foreground"])
    cleanups.push(() => agent.kill("SIGKILL"))
    await waitForStderr(agent, /listening on/)
    expect(coreLimit(agent.pid!)).toEqual(["0", "0"])
    const status = await runMairu(home, ["status"])
    expect(status.stdout).not.toContain("hardening unavailable")
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

  it("without the native helper (as in a single executable), runs unhardened and says so", async () => {
    const copy = distCopy((source) => !source.includes(`${path.sep}koffi`))
    cleanups.push(copy.remove)
    const home = newHome()
    const bin = copy.bin
    const started = await collect(runWithCores(home, ["agent"], {}, bin))
    expect(started.code).toBe(0)
    const statusChild = spawn(process.execPath, [bin, "status", "--json"], {
      env: home.env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    const report = JSON.parse((await collect(statusChild)).stdout) as {
      agent: { hardening: { core_dumps_off: boolean; debuggers_blocked: boolean; problem: string } }
    }
    expect(report.agent.hardening.debuggers_blocked).toBe(false)
    expect(report.agent.hardening.problem).toBe(`no native helper for linux-${process.arch} in this installation`)
    const text = spawn(process.execPath, [bin, "status"], { env: home.env, stdio: ["ignore", "pipe", "pipe"] })
    expect((await collect(text)).stdout).toContain("hardening unavailable: no native helper")
    // The client still starts it with core dumps off.
    expect(coreLimit(onlyAgent(home))).toEqual(["0", "0"])
  })
})
