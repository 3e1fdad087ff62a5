import * as http from "node:http"
import type * as net from "node:net"
import type { LoopbackPeer, LoopbackPeerQuery, Platform } from "./Platform.js"
import { platform as thisPlatform } from "./ThisPlatform.js"

/**
 * An HTTP server on loopback that other local users can reach but not starve: every
 * local user can connect to 127.0.0.1, so other users' connections are capped (in all,
 * and per user), a connection that sends no request is closed after a few seconds, and
 * one that sends its headers slowly is answered 408. The user's own processes are not
 * capped (a tool may ask a hundred things at once) and keep their connections alive
 * between requests, as the AWS SDKs do.
 *
 * Who is at the other end is asked of the platform once per connection, as it is
 * accepted; the caps apply once it has answered, and every request of the connection
 * is handed over with that answer.
 */

export interface LoopbackServerLimits {
  /** Connections open at once from all other users together (and from peers whose user cannot be found). */
  readonly maxFromOthers: number
  /** Connections open at once from each other user. */
  readonly maxPerOtherUser: number
}

export const DEFAULT_LOOPBACK_LIMITS: LoopbackServerLimits = { maxFromOthers: 32, maxPerOtherUser: 8 }

export interface LoopbackServerOptions {
  readonly limits?: LoopbackServerLimits | undefined
  /** What to find of each connection's peer besides its user (its process). */
  readonly peer?: LoopbackPeerQuery | undefined
  /** The platform that tells who the peer is; this machine's unless a test gives another. */
  readonly platform?: Platform | undefined
}

/** The peer of a connection whose lookup failed: counted, and refused, as another user's. */
const UNKNOWN: LoopbackPeer = { _tag: "NotListed" }

/**
 * The user a peer counts as for the caps: undefined for this user (and where the system
 * cannot tell), the other user's uid, or "unknown" for a peer that is not listed.
 */
const otherUserOf = (peer: LoopbackPeer): number | "unknown" | undefined => {
  const self = process.getuid?.()
  if (self === undefined || peer._tag === "CannotTell") return undefined
  if (peer._tag === "NotListed") return "unknown"
  return peer.uid === self ? undefined : peer.uid
}

/**
 * True for a peer that is not a process of this user: another user's, or one the system
 * lists no more (or cannot show this user). Where the system cannot tell at all, false.
 */
export const fromAnotherUser = (peer: LoopbackPeer): boolean => otherUserOf(peer) !== undefined

/** A connection that has not started a request is closed after this long. */
const IDLE_MS = 5_000
const HEADERS_TIMEOUT_MS = 5_000
const REQUEST_TIMEOUT_MS = 10_000
/** Long enough for Node's HTTP agent (which keeps a second in hand) to reuse a connection. */
const KEEP_ALIVE_MS = 5_000

export const createLoopbackServer = (
  handler: (req: http.IncomingMessage, res: http.ServerResponse, peer: LoopbackPeer) => void,
  options: LoopbackServerOptions = {}
): http.Server => {
  const limits = options.limits ?? DEFAULT_LOOPBACK_LIMITS
  const on = options.platform ?? thisPlatform
  const peers = new WeakMap<net.Socket, Promise<LoopbackPeer>>()
  const perOtherUser = new Map<number | "unknown", number>()
  let fromOthers = 0

  /** Counts the connection against its user's caps, or closes it when they are full. */
  const admit = (socket: net.Socket, peer: LoopbackPeer) => {
    const other = otherUserOf(peer)
    // A connection closed meanwhile has nothing left to count.
    if (other === undefined || socket.destroyed) return
    const count = perOtherUser.get(other) ?? 0
    if (count >= limits.maxPerOtherUser || fromOthers >= limits.maxFromOthers) {
      socket.destroy()
      return
    }
    perOtherUser.set(other, count + 1)
    fromOthers++
    socket.once("close", () => {
      fromOthers--
      const left = (perOtherUser.get(other) ?? 1) - 1
      if (left <= 0) perOtherUser.delete(other)
      else perOtherUser.set(other, left)
    })
  }

  const server = http.createServer({
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_MS,
    connectionsCheckingInterval: 1_000
  }, (req, res) => {
    // A request under way may wait for its answer as long as it needs.
    req.socket.setTimeout(0)
    void (peers.get(req.socket) ?? Promise.resolve(UNKNOWN)).then((peer) => {
      if (!req.socket.destroyed) handler(req, res, peer)
    })
  })
  server.on("connection", (socket: net.Socket) => {
    socket.setTimeout(IDLE_MS)
    const { localAddress, localPort, remoteAddress, remotePort } = socket
    if (remoteAddress === undefined || remotePort === undefined || localAddress === undefined) {
      socket.destroy() // reset before it was accepted
      return
    }
    const peer = on.loopbackPeer(
      { client: { address: remoteAddress, port: remotePort }, server: { address: localAddress, port: localPort! } },
      options.peer
    ).catch((): LoopbackPeer => UNKNOWN)
    peers.set(
      socket,
      peer.then((found) => {
        admit(socket, found)
        return found
      })
    )
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
