import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { linux } from "../../src/Platform/Linux.js"
import { parseProcStat } from "../../src/Platform/LinuxProcesses.js"
import { makeMacOs } from "../../src/Platform/MacOs.js"
import { parseLsofFiles, parsePsTable } from "../../src/Platform/MacOsProcesses.js"
import { cutBytes, MAX_ARGV_BYTES, parentChain, renderArgv } from "../../src/Platform/ProcessInfo.js"
import type { RunToolAsync, ToolResult } from "../../src/Platform/Tools.js"

// How each platform describes a process: Linux for real, macOS through its tools' recorded outputs.

/** What `ps` and `lsof` print on macOS for a shell, an AWS tool under it and mairu under that. */
const PS_TABLE = `    1     0     0 Ss   launchd
  700     1     0 Ss   login
  701   700   501 S    zsh
 2100   701   501 S+   aws
 2101  2100   501 S+   node
`
const LSOF_FILES = `p2101
fcwd
n/Users/alice/my project
ftxt
n/opt/homebrew/Cellar/node/22.1.0/bin/node
ftxt
n/usr/lib/dyld
`

const ok = (stdout: string): ToolResult => ({ code: 0, stdout })

/** macOS's tools, answering as macOS would for process 2101 (and for no other). */
const MACOS_ANSWERS: Record<string, ToolResult> = {
  "ps -ax -o pid=,ppid=,uid=,stat=,ucomm=": ok(PS_TABLE),
  "ps -ww -o args= -p 2101": ok("node /opt/homebrew/bin/mairu credential-process acme ReadOnly\n"),
  "ps -o ucomm= -p 2101": ok("node\n"),
  "lsof -w -b -a -p 2101 -d cwd,txt -Fn": ok(LSOF_FILES)
}

const macOsWith = (runAsync: RunToolAsync) => makeMacOs({ run: () => undefined, runAsync })

const macos = macOsWith((file, args) =>
  Promise.resolve(MACOS_ANSWERS[[file, ...args].join(" ")] ?? { code: 1, stdout: "" })
)

describe("process descriptions", () => {
  it("render a command line safely on one line, cut at 512 bytes without splitting a character", () => {
    expect(renderArgv(["python3", "-c", "print('hi')", "a\u001b]0;title\u0007\nb"])).toBe(
      "python3 -c 'print('\\''hi'\\'')' 'a\\u001b]0;title\\u0007\\u000ab'"
    )
    const long = renderArgv(["x", "é".repeat(400)])
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_ARGV_BYTES)
    expect(long.endsWith("…")).toBe(true)
    expect(long).not.toContain("\ufffd")
    expect(cutBytes("short")).toBe("short")
  })

  it("read /proc/PID/stat, whose command name may hold spaces and parentheses", () => {
    expect(parseProcStat("42 (my (odd) cmd) S 7 42 42 0 -1")).toEqual({
      pid: 42,
      ppid: 7,
      command: "my (odd) cmd",
      sessionLeader: true
    })
    expect(parseProcStat("43 (sh) S 42 43 42 0 -1")?.sessionLeader).toBe(false)
  })

  it("follow parents up to the first session leader, or init", () => {
    const rows = parsePsTable(PS_TABLE)
    expect(parentChain(2101, (pid) => rows.get(pid))).toEqual([
      { pid: 2100, command: "aws" },
      { pid: 701, command: "zsh" },
      { pid: 700, command: "login" }
    ])
    const noLeader = new Map([...rows].map(([pid, row]) => [pid, { ...row, sessionLeader: false }]))
    expect(parentChain(2101, (pid) => noLeader.get(pid)).map((p) => p.pid)).toEqual([2100, 701, 700, 1])
  })

  it("describe a real process on Linux: its executable, command line, folder and parent", async () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mairu proc ")))
    const child = spawn("/bin/sleep", ["30"], { cwd: dir, stdio: "ignore" })
    try {
      await new Promise((resolve) => child.once("spawn", resolve))
      const described = await linux.describeProcess(child.pid!)
      expect(described).toMatchObject({
        pid: child.pid,
        uid: process.getuid!(),
        executable: fs.realpathSync("/bin/sleep"),
        argv: "/bin/sleep 30",
        cwd: dir,
        problem: undefined
      })
      expect(described.parents[0]).toEqual({ pid: process.pid, command: await linux.commandName(process.pid) })
      expect(linux.processStartTime(child.pid!)).toMatch(/^\d+$/)
    } finally {
      child.kill()
      fs.rmSync(dir, { recursive: true, force: true })
    }
    // Above the largest pid Linux hands out (2^22).
    expect((await linux.describeProcess(2 ** 22 + 1)).problem).toBe(
      `process ${2 ** 22 + 1} had exited before it could be described`
    )
  })

  it("describe a process on macOS from ps and lsof", async () => {
    expect(parseLsofFiles(LSOF_FILES)).toEqual({
      cwd: "/Users/alice/my project",
      executable: "/opt/homebrew/Cellar/node/22.1.0/bin/node"
    })
    expect(await macos.describeProcess(2101)).toEqual({
      pid: 2101,
      uid: 501,
      executable: "/opt/homebrew/Cellar/node/22.1.0/bin/node",
      argv: "node /opt/homebrew/bin/mairu credential-process acme ReadOnly",
      cwd: "/Users/alice/my project",
      parents: [{ pid: 2100, command: "aws" }, { pid: 701, command: "zsh" }, { pid: 700, command: "login" }],
      problem: undefined
    })
    expect(await macos.commandName(2101)).toBe("node")
    expect(macos.processStartTime(2101)).toBeUndefined()
    expect((await macos.describeProcess(9999)).problem).toBe(
      "process 9999 had exited before it could be described"
    )
    const noLsof = macOsWith((file, args) =>
      Promise.resolve(file === "lsof" ? undefined : MACOS_ANSWERS[[file, ...args].join(" ")])
    )
    expect((await noLsof.describeProcess(2101)).problem).toBe(
      "lsof could not read its executable and working folder"
    )
    const noPs = macOsWith((file, args) =>
      Promise.resolve(file === "ps" ? undefined : MACOS_ANSWERS[[file, ...args].join(" ")])
    )
    expect((await noPs.describeProcess(2101)).problem).toBe("ps could not list processes")
  })
})
