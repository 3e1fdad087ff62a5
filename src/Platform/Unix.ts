import * as fs from "node:fs"
import type { RunTool } from "./Tools.js"

// What Linux and macOS share.

/** The name of `uid` in /etc/passwd, else as `id -un UID` tells it (NSS, LDAP, macOS's directory). */
export const userNameOf = (uid: number, run: RunTool, passwdFile = "/etc/passwd"): string | undefined => {
  try {
    for (const line of fs.readFileSync(passwdFile, "utf8").split("\n")) {
      const fields = line.split(":")
      if (fields[2] === String(uid) && fields[0] !== undefined && fields[0] !== "") return fields[0]
    }
  } catch {
    // no passwd file: ask id
  }
  const result = run("id", ["-un", String(uid)])
  const name = result?.code === 0 ? result.stdout.trim() : ""
  return name === "" || name.includes("\n") ? undefined : name
}

/** The text of `file`, or undefined when it cannot be read. */
export const readText = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

/** False when signal 0 says that `pid` does not exist (a process of another user exists: EPERM). */
export const signalReaches = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** True when `file` exists and may be run. */
export const canRun = (file: string): boolean => {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return true
  } catch {
    return false
  }
}
