// What Node itself costs on this machine for what mairu's paths do, with no code of mairu's: a
// client that loads node:net, connects to a unix socket, sends one line and waits for one line
// back; and a server that answers at once, over a unix socket and over HTTP on 127.0.0.1. The
// bench times them like mairu's paths, so that each ratio can be read against what Node alone takes.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * The bare client: `node bare-client.cjs SOCKET LINE [COMMAND]` prints the answer line and exits 0,
 * or with COMMAND runs it once answered, as exec's static mode does, and exits as it does.
 */
const BARE_CLIENT = `const net = require("node:net")
const socket = net.createConnection(process.argv[2], () => socket.write(process.argv[3] + "\\n"))
let answer = ""
socket.on("data", (chunk) => {
  answer += chunk
  if (!answer.includes("\\n")) return
  socket.destroy()
  const ok = answer.includes('"_tag":"Success"')
  if (!ok || process.argv[4] === undefined) {
    process.exitCode = ok ? 0 : 1
    return require("node:fs").writeSync(1, answer)
  }
  require("node:child_process").spawn(process.argv[4], { stdio: "inherit" }).on("exit", (code) => process.exit(code))
})
socket.on("error", (error) => {
  process.stderr.write(error.message + "\\n")
  process.exitCode = 1
})
`

/** The server that answers at once: each line on its unix socket, each HTTP request on its port. */
const INSTANT_SERVER = `const net = require("node:net"), http = require("node:http")
const [socketPath] = process.argv.slice(2)
const credentials = JSON.stringify({
  AccessKeyId: "ASIA" + "A".repeat(16), SecretAccessKey: "s".repeat(40), Token: "t".repeat(600),
  Expiration: new Date(Date.now() + 3600e3).toISOString()
})
const line = JSON.stringify({ id: 1, exit: { _tag: "Success", value: JSON.parse(credentials) } }) + "\\n"
net.createServer((c) => { c.on("data", () => c.write(line)); c.on("error", () => {}) }).listen(socketPath, () => {
  const web = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" })
    res.end(credentials)
  })
  web.keepAliveTimeout = 5000
  web.listen(0, "127.0.0.1", () => process.stdout.write(web.address().port + "\\n"))
})
`

/** Starts the instant server in `tmp`; its socket, its URL, the bare client's file, and a stop. */
export const startFloors = (tmp) =>
  new Promise((resolve, reject) => {
    const dir = path.join(tmp, "floors")
    fs.mkdirSync(dir, { mode: 0o700 })
    const client = path.join(dir, "bare-client.cjs")
    const serverFile = path.join(dir, "instant-server.cjs")
    const socketPath = path.join(dir, "instant.sock")
    fs.writeFileSync(client, BARE_CLIENT)
    fs.writeFileSync(serverFile, INSTANT_SERVER)
    const child = spawn(process.execPath, [serverFile, socketPath], { stdio: ["ignore", "pipe", "inherit"] })
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`the instant server exited ${code}`)))
    child.stdout.once("data", (data) => {
      child.removeAllListeners("exit")
      resolve({
        client,
        socketPath,
        url: `http://127.0.0.1:${String(data).trim()}/`,
        stop: () => child.kill()
      })
    })
  })
