import * as Logger from "effect/Logger"
import * as fs from "node:fs"
import * as path from "node:path"
import { visible } from "../Plain/Visible.js"

/** A log file is rotated past this size; this many older files are kept. */
const MAX_BYTES = 1024 * 1024
const KEEP = 3

const rotate = (file: string) => {
  for (let i = KEEP - 1; i >= 1; i--) {
    if (fs.existsSync(`${file}.${i}`)) fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`)
  }
  fs.renameSync(file, `${file}.1`)
}

/**
 * logfmt lines appended to `{dir}/agent.log` (mode 0600), rotated at 1 MiB with
 * three older files kept. A failure to write is dropped: logging must never stop the agent.
 */
export const fileLogger = (dir: string) => {
  const file = path.join(dir, "agent.log")
  return Logger.map(Logger.logfmtLogger, (line) => {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      const size = fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0
      if (size > MAX_BYTES) rotate(file)
      fs.appendFileSync(file, visible(line) + "\n", { mode: 0o600 })
    } catch {
      // nowhere left to tell
    }
  })
}
