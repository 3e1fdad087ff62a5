import { type ChildProcess, spawn } from "node:child_process"

/** Another local user: nobody, with no supplementary groups. */
export const AS_OTHER_USER = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

/** Starts `script` (node, from its -e argument: nobody cannot read the checkout) as another local user. */
export const startAsOtherUser = (script: string, stdio: "inherit" | "ignore" = "ignore"): ChildProcess =>
  spawn(AS_OTHER_USER[0]!, [...AS_OTHER_USER.slice(1), process.execPath, "-e", script], {
    stdio: ["pipe", "pipe", stdio === "inherit" ? "inherit" : "pipe"]
  })

/** Runs `script` as another local user and returns what it printed. */
export const asOtherUser = (script: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = startAsOtherUser(script)
    let out = ""
    let err = ""
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()))
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()))
    child.once("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`as nobody: exit ${code}: ${err}`))))
  })

/** A plain GET from another local user: status, Location, Set-Cookie and body. */
export const otherUserGets = async (url: string) =>
  JSON.parse(
    await asOtherUser(`
      require("node:http").get(${JSON.stringify(url)}, (res) => {
        let body = ""
        res.on("data", (d) => (body += d))
        res.on("end", () => process.stdout.write(JSON.stringify({
          status: res.statusCode,
          location: res.headers.location ?? null,
          cookie: res.headers["set-cookie"] ?? null,
          body
        })))
      })`)
  ) as { status: number; location: string | null; cookie: Array<string> | null; body: string }

export interface HeldConnections {
  /** How many connected, and how many of those the server has closed since. */
  readonly report: { readonly connected: number; readonly closed: number }
  /** Closes them all and ends the other user's process. */
  readonly release: () => Promise<void>
}

/**
 * Another local user opens `count` idle connections to 127.0.0.1:`port` and holds them.
 * It reports once at least `count - keep` were closed by the server (the kernel accepts
 * connections before the server sees them, so that may take a busy server a while), or
 * after 40 s with what it has: then the test knows how many the server let it keep.
 */
export const otherUserHolds = (port: number, count: number, keep: number): Promise<HeldConnections> =>
  new Promise((resolve, reject) => {
    const child = startAsOtherUser(`
      const net = require("node:net")
      let connected = 0, closed = 0, settled = 0, reported = false
      const sockets = []
      const report = () => {
        if (reported) return
        reported = true
        process.stdout.write(JSON.stringify({ connected, closed }) + "\\n")
      }
      const check = () => { if (settled === ${count} && closed >= ${count - keep}) report() }
      for (let i = 0; i < ${count}; i++) {
        const socket = net.connect(${port}, "127.0.0.1")
        sockets.push(socket)
        let wasConnected = false
        socket.on("connect", () => { wasConnected = true; connected++; settled++; check() })
        socket.on("error", () => {})
        socket.on("close", () => { if (wasConnected) closed++; else settled++; check() })
      }
      setTimeout(report, 40_000)
      process.stdin.on("end", () => { for (const socket of sockets) socket.destroy(); process.exit(0) })
      process.stdin.resume()
    `)
    let out = ""
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      if (!out.includes("\n")) return
      resolve({
        report: JSON.parse(out.split("\n")[0]!) as HeldConnections["report"],
        release: () =>
          new Promise((done) => {
            child.once("close", () => done())
            child.stdin!.end()
          })
      })
    })
    child.once("error", reject)
    child.once("close", (code) => reject(new Error(`the other user's process ended early (${code})`)))
  })
