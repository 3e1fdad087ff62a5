// The servers.d file that points mairu at this server, and writing it for --write-server-file.
import * as fs from "node:fs"
import * as path from "node:path"
import { CLIENT_ID } from "./Oidc.js"

/** The server file for this server at `url`, in the original Mairu's key names. */
export const serverFile = (id: string, url: string) => ({
  id,
  url,
  oauth: { client_id: CLIENT_ID, code_grant: {}, device_code_grant: {} }
})

const LOCAL_URL = /^http:\/\/127\.0\.0\.1:\d+\/$/

/** Whether `text` is a file this server wrote, at any port (a port from another start is stale). */
const writtenByDevServer = (id: string, text: string) => {
  try {
    const existing = JSON.parse(text) as { url?: unknown }
    return typeof existing.url === "string" && LOCAL_URL.test(existing.url) &&
      JSON.stringify(existing) === JSON.stringify(serverFile(id, existing.url))
  } catch {
    return false
  }
}

export type ServerFileWrite =
  | { readonly _tag: "Written"; readonly file: string }
  | { readonly _tag: "Unchanged"; readonly file: string }
  | { readonly _tag: "Refused"; readonly file: string }

/**
 * Writes `servers.d/ID.json` (mode 0600: mairu skips server files that others can change) unless a
 * file that this server did not write is there; fs errors are thrown.
 */
export const writeServerFile = (serversDir: string, id: string, url: string): ServerFileWrite => {
  const file = path.join(serversDir, `${id}.json`)
  const text = JSON.stringify(serverFile(id, url), null, 2) + "\n"
  let existing: string | undefined
  try {
    existing = fs.readFileSync(file, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
  }
  if (existing === text) return { _tag: "Unchanged", file }
  if (existing !== undefined && !writtenByDevServer(id, existing)) return { _tag: "Refused", file }
  fs.mkdirSync(serversDir, { recursive: true, mode: 0o700 })
  fs.writeFileSync(file, text, { mode: 0o600 })
  fs.chmodSync(file, 0o600)
  return { _tag: "Written", file }
}
