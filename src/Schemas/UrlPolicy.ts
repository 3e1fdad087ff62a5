/**
 * Where mairu may send tokens: `https`, or plain `http` to this machine only
 * (127.0.0.0/8, ::1, localhost), for a server's `url` and every endpoint of its file.
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
