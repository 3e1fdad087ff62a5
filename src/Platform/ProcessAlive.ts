import * as fs from "node:fs"

/**
 * True while process `pid` runs. A process that has exited but that no parent has
 * reaped yet (a zombie, as an agent whose starter has gone may stay for a while
 * under some inits) counts as gone.
 */
export const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
  let stat: string
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  } catch {
    return true // no /proc (macOS): the signal test has to do
  }
  // "pid (comm) state …"; comm may itself hold ") ".
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
}
