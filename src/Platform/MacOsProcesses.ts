import type { ProcessDescription } from "../Schemas/Audit.js"
import { visibleLine } from "../Terminal/Visible.js"
import { parseLsof } from "./Lsof.js"
import { cutBytes, parentChain, type ProcessRow, undescribed, unread } from "./ProcessInfo.js"
import type { RunToolAsync } from "./Tools.js"

// macOS: what a process is, from `ps` and `lsof` (macOS has no /proc).

/** `ps -ax -o pid=,ppid=,uid=,stat=,ucomm=`: one process a line; STAT holds `s` for a session leader. */
export const parsePsTable = (text: string): Map<number, ProcessRow & { readonly uid: number }> => {
  const rows = new Map<number, ProcessRow & { readonly uid: number }>()
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line)
    if (match === null) continue
    const pid = Number(match[1])
    rows.set(pid, {
      pid,
      ppid: Number(match[2]),
      uid: Number(match[3]),
      sessionLeader: match[4]!.includes("s"),
      command: match[5]!.trimEnd()
    })
  }
  return rows
}

/** `lsof -a -p PID -d cwd,txt -Fn`: the working folder, and the first text file (the executable). */
export const parseLsofFiles = (
  text: string
): { readonly cwd: string | undefined; readonly executable: string | undefined } => {
  const files = parseLsof(text).flatMap((process) => process.files)
  return {
    cwd: files.find((file) => file.descriptor === "cwd")?.name,
    executable: files.find((file) => file.descriptor === "txt")?.name
  }
}

const PS = "ps"
const LSOF = "lsof"

/** The command name of `pid`, from `ps`. */
export const macOsCommandName = async (pid: number, run: RunToolAsync): Promise<string | undefined> => {
  const name = (await run(PS, ["-o", "ucomm=", "-p", String(pid)]))?.stdout.trim()
  return name === undefined || name === "" ? undefined : visibleLine(name)
}

/**
 * `pid` as `ps` and `lsof` show it. The command line is the one `ps` prints, words
 * joined by spaces (macOS keeps no other form a process of the user can read).
 */
export const describeMacOsProcess = async (pid: number, run: RunToolAsync): Promise<ProcessDescription> => {
  const [table, args, files] = await Promise.all([
    run(PS, ["-ax", "-o", "pid=,ppid=,uid=,stat=,ucomm="]),
    run(PS, ["-ww", "-o", "args=", "-p", String(pid)]),
    run(LSOF, ["-w", "-b", "-a", "-p", String(pid), "-d", "cwd,txt", "-Fn"])
  ])
  const rows = parsePsTable(table?.stdout ?? "")
  const self = rows.get(pid)
  if (self === undefined) {
    return undescribed(
      pid,
      table === undefined ? "ps could not list processes" : `process ${pid} had exited before it could be described`
    )
  }
  const { cwd, executable } = parseLsofFiles(files?.stdout ?? "")
  const commandLine = args?.stdout.trim()
  const missing = unread({ executable, cwd })
  return {
    pid,
    uid: self.uid,
    executable: executable === undefined ? undefined : visibleLine(executable),
    argv: commandLine === undefined || commandLine === "" ? undefined : cutBytes(visibleLine(commandLine)),
    cwd: cwd === undefined ? undefined : visibleLine(cwd),
    parents: parentChain(pid, (p) => rows.get(p)),
    problem: missing === undefined ? undefined : `lsof could not read its ${missing}`
  }
}
