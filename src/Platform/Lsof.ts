/** One process of `lsof -F` output: its pid and uid, and its files (descriptor `f`, name `n`) as listed. */
export interface LsofProcess {
  readonly pid: number
  readonly uid: number | undefined
  readonly files: ReadonlyArray<{ readonly descriptor: string | undefined; readonly name: string }>
}

/** Reads `lsof -F…` output: one field a line, its letter first; a `p` line starts a process, an `f` line a file. */
export const parseLsof = (output: string): ReadonlyArray<LsofProcess> => {
  const processes: Array<{ pid: number; uid: number | undefined; files: Array<LsofProcess["files"][number]> }> = []
  let descriptor: string | undefined
  for (const line of output.split("\n")) {
    const value = line.slice(1)
    const current = processes[processes.length - 1]
    if (line.startsWith("p")) {
      processes.push({ pid: Number(value), uid: undefined, files: [] })
      descriptor = undefined
    } else if (current === undefined) continue
    else if (line.startsWith("u")) current.uid = Number(value)
    else if (line.startsWith("f")) descriptor = value
    else if (line.startsWith("n")) current.files.push({ descriptor, name: value })
  }
  return processes.filter((p) => Number.isInteger(p.pid) && p.pid > 0)
}

/** The names of `process`'s files. */
export const fileNames = (process: LsofProcess): ReadonlyArray<string> => process.files.map((file) => file.name)
