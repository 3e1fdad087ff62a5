import type { Platform } from "../Platform/Platform.js"
import { platform as thisPlatform } from "../Platform/ThisPlatform.js"

/**
 * Why `socketPath` cannot be a unix socket here, or undefined: longer than the system
 * takes (sun_path), a path would be cut short, and bind and connect would reach
 * another file. `remedy` says what to do instead.
 */
export const socketPathTooLong = (socketPath: string, remedy: string, on: Platform = thisPlatform) => {
  const length = Buffer.byteLength(socketPath)
  if (length <= on.socketPathLimit) return undefined
  return `${socketPath} is ${length} bytes long, but a socket path on ${on.name} holds at most ` +
    `${on.socketPathLimit} bytes; ${remedy}`
}
