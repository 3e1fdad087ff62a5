import * as http from "node:http"
import type * as net from "node:net"
import { loopbackPeer } from "./LoopbackPeer.js"

/**
 * An HTTP server on loopback that other local users can reach but not starve: every
 * local user can connect to 127.0.0.1, so other users' connections are capped (in all,
 * and per user), a connection that sends no request is closed after a few seconds, and
 * one that sends its headers slowly is answered 408. The user's own processes are not
 * capped (a tool may ask a hundred things at once) and keep their connections alive
 * between requests, as the AWS SDKs do.
 */

export interface LoopbackServerLimits {
  /** Connections open at once from all other users together (and from peers whose user cannot be found). */
  readonly maxFromOthers: number
  /** Connections open at once from each other user. */
  readonly maxPerOtherUser: number
}

export const DEFAULT_LOOPBACK_LIMITS: LoopbackServerLimits = { maxFromOthers: 32, maxPerOtherUser: 8 }

/** A connection that has not started a request is closed after this long. */
const IDLE_MS = 5_000
const HEADERS_TIMEOUT_MS = 5_000
const REQUEST_TIMEOUT_MS = 10_000
/** Long enough for Node's HTTP agent (which keeps a second in hand) to reuse a connection. */
const KEEP_ALIVE_MS = 5_000

/** Who sent a request: this user's process, or another user's (with the uid when known). */
export type Peer = { readonly _tag: "Self" } | { readonly _tag: "Other"; readonly uid: number | "unknown" }

const SELF: Peer = { _tag: "Self" }

export const createLoopbackServer = (
  handler: (req: http.IncomingMessage, res: http.ServerResponse, peer: Peer) => void,
  limits: LoopbackServerLimits = DEFAULT_LOOPBACK_LIMITS
): http.Server => {
  const peers = new WeakMap<net.Socket, Peer>()
  const perOtherUser = new Map<number | "unknown", number>()
  let fromOthers = 0
  const server = http.createServer({
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_MS,
    connectionsCheckingInterval: 1_000
  }, (req, res) => {
    // A request under way may wait for its answer as long as it needs.
    req.socket.setTimeout(0)
    handler(req, res, peers.get(req.socket) ?? SELF)
  })
  server.on("connection", (socket: net.Socket) => {
    socket.setTimeout(IDLE_MS)
    const peer = loopbackPeer(socket)
    if (peer === "self") return
    const count = perOtherUser.get(peer) ?? 0
    if (count >= limits.maxPerOtherUser || fromOthers >= limits.maxFromOthers) {
      socket.destroy()
      return
    }
    perOtherUser.set(peer, count + 1)
    fromOthers++
    peers.set(socket, { _tag: "Other", uid: peer })
    socket.once("close", () => {
      fromOthers--
      const left = (perOtherUser.get(peer) ?? 1) - 1
      if (left <= 0) perOtherUser.delete(peer)
      else perOtherUser.set(peer, left)
    })
  })
  // Out of descriptors (EMFILE) while accepting: the connection is dropped, the server goes on.
  server.on("error", () => undefined)
  return server
}

/** Answers another user's request with 403 and a short text, and closes its connection. */
export const refuseOtherUser = (res: http.ServerResponse, body: string, contentType = "text/plain; charset=utf-8") => {
  res.writeHead(403, { "content-type": contentType, "cache-control": "no-store", connection: "close" })
  res.end(body)
}
