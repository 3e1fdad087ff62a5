/**
 * The one rule for URLs mairu did not write itself: `https`, or plain `http` to this
 * machine only (127.0.0.0/8, ::1, localhost). Tokens are sent only to such URLs (a
 * server's `url` and every endpoint of its file), and only such URLs from a server (a
 * login page, a console page) are opened in a browser or shown as something to open.
 */

const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.toLowerCase()
  if (host === "localhost" || host === "[::1]") return true
  const octets = host.split(".")
  return octets.length === 4 && octets[0] === "127" && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
}

/** Why `url` may not carry tokens, or undefined when it may. */
export const insecureUrlReason = (url: string): string | undefined => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return "is not a URL"
  }
  if (parsed.protocol === "https:") return undefined
  if (parsed.protocol === "http:") {
    return isLoopbackHost(parsed.hostname)
      ? undefined
      : "uses plain http to another machine, where tokens would travel in clear text"
  }
  return `uses the scheme "${parsed.protocol.replace(/:$/, "")}"`
}

const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase())

/**
 * The first `url` or `…endpoint` in a resolved server configuration that may not
 * carry tokens, described for a warning; undefined when every one is allowed.
 */
export const serverUrlProblem = (config: object): string | undefined => {
  const visit = (value: unknown, depth: number): string | undefined => {
    if (depth > 8 || typeof value !== "object" || value === null) return undefined
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === "string" && (key === "url" || /endpoint$/i.test(key))) {
        const reason = insecureUrlReason(item)
        if (reason !== undefined) {
          return `"${snakeCase(key)}" ${item} ${reason}; mairu sends tokens only over https, ` +
            `or over http to this machine (127.0.0.1, ::1, localhost)`
        }
      } else {
        const found = visit(item, depth + 1)
        if (found !== undefined) return found
      }
    }
    return undefined
  }
  return visit(config, 0)
}

/** What the rule allows, said the same way wherever a URL is refused. */
export const ALLOWED_URLS = "https, or http to this machine (127.0.0.1, ::1, localhost)"

/**
 * Why `url` may not be opened in a browser or shown to the user as a link, or undefined
 * when it may: it must be one allowed URL and nothing else, so that a browser opener,
 * which takes it as an argument, can never read it as an option.
 */
export const unopenableUrlReason = (url: string): string | undefined => {
  if (url.startsWith("-")) return "starts with \"-\", as an option of the browser would"
  if (/[\s\p{Cc}\p{Cf}]/u.test(url)) return "holds blanks, control or invisible characters"
  return insecureUrlReason(url)
}

/**
 * The failure message for `field` of `serverId`'s answer when it may not be opened or
 * shown, else undefined. The URL itself is not repeated: it is no link to follow.
 */
export const serverUrlRefusal = (serverId: string, field: string, url: string): string | undefined => {
  const reason = unopenableUrlReason(url)
  return reason === undefined ? undefined : serverUrlRefusalText(serverId, field, reason)
}

/** What the user is told of a page of `serverId`'s answer that is not opened, and why (`reason`). */
export const serverUrlRefusalText = (serverId: string, field: string, reason: string): string =>
  `${serverId} sent a page to open (${field}) that ${reason}; mairu opens ` +
  `and shows only ${ALLOWED_URLS}, so it did not start a browser. This is a fault of ${serverId}: ` +
  `tell its administrator`
