import * as fs from "node:fs"
import * as path from "node:path"
import { loadServers, serverFileNames } from "../Schemas/ServerFiles.js"
import type { LoadedServers } from "../Schemas/ServerFiles.js"

/**
 * `servers.d` as the agent last read it, read again only when a file was added,
 * removed or modified: the fast credential-process path asks on every AWS call.
 */
export const makeServerLookup = () => {
  const cached = new Map<string, { readonly signature: string; readonly loaded: LoadedServers }>()

  const signatureOf = (dir: string): string => {
    try {
      return serverFileNames(dir)
        .map((name) => {
          const stat = fs.statSync(path.join(dir, name), { throwIfNoEntry: false })
          // ctime and mode too: a chmod or chown changes whether the file may be used.
          return `${name}:${stat?.mtimeMs ?? 0}:${stat?.ctimeMs ?? 0}:${stat?.size ?? 0}:${stat?.mode ?? 0}:${
            stat?.uid ?? 0
          }`
        })
        .join("\n")
    } catch {
      return ""
    }
  }

  return (dir: string): LoadedServers => {
    const signature = signatureOf(dir)
    const hit = cached.get(dir)
    if (hit !== undefined && hit.signature === signature) return hit.loaded
    const loaded = loadServers(dir)
    if (cached.size > 16) cached.clear()
    cached.set(dir, { signature, loaded })
    return loaded
  }
}
