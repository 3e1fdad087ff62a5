import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as readline from "node:readline"

/** A request line as a client sends it. */
export interface FakeAgentLine {
  readonly id: number
  readonly request: { readonly _tag: string; readonly [field: string]: unknown }
}

/**
 * A fake agent at `socketPath` (its folder made private first): `onLine` gets each request line
 * of each connection (numbered from 1) with the socket to answer on. A client that resets or
 * closes early is let go quietly: the socket's errors, and those readline passes on, are handled.
 */
export const startFakeAgent = async (
  socketPath: string,
  onLine: (line: FakeAgentLine, socket: net.Socket, connection: number) => void
): Promise<net.Server> => {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 })
  let connections = 0
  const server = net.createServer((socket) => {
    const connection = ++connections
    socket.on("error", () => socket.destroy())
    readline.createInterface({ input: socket })
      .on("error", () => socket.destroy())
      .on("line", (text) => {
        if (!socket.destroyed) onLine(JSON.parse(text) as FakeAgentLine, socket, connection)
      })
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return server
}

export const stopFakeAgent = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()))
