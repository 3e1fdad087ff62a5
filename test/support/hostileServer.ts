import * as crypto from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { writeServerFile } from "./servers.js"

/**
 * A hostile Mairu API server on 127.0.0.1: it issues real-looking secrets, then
 * echoes what it was sent (the Authorization header, the form body) in its error
 * bodies, with terminal control sequences, and answers with JSON built to hurt.
 * What each role or grant gets is decided by its name, so tests run in any order.
 */

/** Window title, erase line, carriage return, a fake mairu line: what a hostile body writes. */
export const TERMINAL_ATTACK = "\x1b]0;pwned\x07\x1b[2K\r:: mairu :: all good\u202ecod.exe"

export interface HostileServer {
  readonly url: string
  readonly clientSecret: string
  /** Every secret it issued or was configured with. */
  readonly secrets: () => ReadonlyArray<string>
  /** `GET /roles`: a list with hostile names, or 401 echoing the request. */
  readonly rolesAnswer: (mode: "echo-401" | "list") => void
  /** The pages its device authorizations name (a loopback page unless set). */
  readonly devicePages: (pages: { verification_uri?: string; verification_uri_complete?: string }) => void
  /** The `expires_in` of the tokens it issues (3600 unless set). */
  readonly tokenLifetime: (seconds: number) => void
  /** A refresh: refused with 400 echoing the request (unless set), or new tokens issued. */
  readonly refreshAnswer: (mode: "echo-400" | "issue") => void
  /** How many token requests it answered, by grant type. */
  readonly tokenRequests: () => Record<string, number>
  readonly stop: () => Promise<void>
}

const random = (prefix: string) => `${prefix}${crypto.randomBytes(24).toString("hex")}`

export const startHostileServer = async (): Promise<HostileServer> => {
  const clientSecret = random("cs-")
  const issued: Array<string> = [clientSecret]
  const issue = (prefix: string) => {
    const secret = random(prefix)
    issued.push(secret)
    return secret
  }
  const echo = (request: http.IncomingMessage, body: string) =>
    `you sent Authorization: ${request.headers.authorization ?? "(none)"} and body ${body} ${TERMINAL_ATTACK}`

  const rolesMode: { next: "echo-401" | "list" } = { next: "list" }
  let pages: { verification_uri?: string; verification_uri_complete?: string } = {
    verification_uri: "http://127.0.0.1/device"
  }
  let lifetime = 3600
  let refreshMode: "echo-400" | "issue" = "echo-400"
  const tokenRequests: Record<string, number> = {}
  /**
   * Every secret it handed out as such (the client's, tokens, device codes, the keys of the
   * roles it answered), which a debugging page of the role `echo-keys` lists.
   */
  const handedOut: Array<string> = [clientSecret]
  const handOut = (prefix: string) => {
    const secret = issue(prefix)
    handedOut.push(secret)
    return secret
  }
  const server = http.createServer((request, response) => {
    let body = ""
    request.on("data", (chunk: Buffer) => (body += chunk.toString()))
    request.on("end", () => {
      const send = (status: number, text: string, type = "text/plain") => {
        response.writeHead(status, { "content-type": type })
        response.end(text)
      }
      const json = (status: number, value: unknown) => send(status, JSON.stringify(value), "application/json")
      const url = new URL(request.url ?? "/", "http://127.0.0.1")
      if (url.pathname === "/oauth/device") {
        return json(200, {
          device_code: handOut("dc-"),
          user_code: "HOST-ILE",
          ...pages,
          expires_in: 600,
          interval: 1
        })
      }
      if (url.pathname === "/oauth/revoke") {
        // A refusal that quotes the request: the very refresh token it did not revoke.
        return send(400, echo(request, body))
      }
      if (url.pathname === "/oauth/token") {
        const form = new URLSearchParams(body)
        const grant = form.get("grant_type") ?? "none"
        tokenRequests[grant] = (tokenRequests[grant] ?? 0) + 1
        if (grant === "refresh_token" && refreshMode === "echo-400") {
          // A refusal that quotes the request: the refresh token and the client's basic credentials.
          return json(400, { error: "invalid_grant", error_description: echo(request, body) })
        }
        return json(200, {
          access_token: handOut("at-"),
          refresh_token: handOut("rt-"),
          id_token: handOut("it-"),
          token_type: "Bearer",
          expires_in: lifetime
        })
      }
      if (url.pathname === "/roles") {
        if (rolesMode.next === "echo-401") return send(401, echo(request, body))
        return json(200, {
          Roles: [
            {
              Name: "Admin\x1b]0;pwned\x07\x1b[2K\r",
              Description: "right-to-left \u202eexe.txt and C1 \u0085 and DEL \x7f"
            }
          ]
        })
      }
      if (url.pathname === "/assume-role") {
        const role = (JSON.parse(body) as { Role: string }).Role
        const credentials = {
          Version: 1,
          AccessKeyId: "AKIAHOSTILE",
          SecretAccessKey: issue("sk-"),
          SessionToken: issue("st-"),
          Expiration: new Date(Date.now() + 3600_000).toISOString()
        }
        switch (role) {
          case "echo-keys":
            // A debugging page listing what it handed out, latest first: the keys of the session's other
            // roles, its tokens, codes.
            return send(500, `recently issued: ${[...handedOut].reverse().join(" ")}`)
          case "echo-403":
            return send(403, echo(request, body))
          case "echo-500":
            // A debugging error page: the request, and the keys it would have issued.
            return json(500, { ...credentials, message: echo(request, body) })
          case "array":
            return json(200, [credentials])
          case "wrong-type":
            return json(200, { ...credentials, Version: credentials.SecretAccessKey })
          case "deep":
            return send(200, "[".repeat(400_000) + "]".repeat(400_000), "application/json")
          case "huge":
            return send(
              200,
              JSON.stringify({ ...credentials, padding: "x".repeat(2 * 1024 * 1024) }),
              "application/json"
            )
          default:
            handedOut.push(credentials.SecretAccessKey, credentials.SessionToken)
            return json(200, credentials)
        }
      }
      send(404, "not found")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    clientSecret,
    secrets: () => [...issued],
    rolesAnswer: (mode) => void (rolesMode.next = mode),
    devicePages: (next) => void (pages = next),
    tokenLifetime: (seconds) => void (lifetime = seconds),
    refreshAnswer: (mode) => void (refreshMode = mode),
    tokenRequests: () => ({ ...tokenRequests }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/**
 * Writes `servers.d/ID.json` for the hostile server (a confidential client with the device
 * grant), with `oauth` added to its `oauth` (`revocation_endpoint: server.url + "oauth/revoke"`).
 */
export const writeHostileConfig = (configDir: string, server: HostileServer, id = "hostile", oauth: object = {}) =>
  writeServerFile(configDir, id, {
    id,
    url: server.url,
    oauth: { client_id: "hostile-client", client_secret: server.clientSecret, device_grant: {}, ...oauth }
  })
