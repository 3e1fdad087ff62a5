// What the bench measures against: a checkout's built mairu, the dev server, a private home
// with a logged-in agent, and requests on the agent's socket as the fast paths send them.
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

/** A checkout to measure: its built entry, its single executable, the commit it holds. */
export const checkout = (root, label) => {
  const git = (...args) => execFileSync("git", ["-C", root, ...args], { encoding: "utf8" }).trim()
  const version = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version
  const protocol = Number(
    /PROTOCOL_VERSION = (\d+)/.exec(fs.readFileSync(path.join(root, "src", "Schemas", "ProtocolVersion.ts"), "utf8"))[1]
  )
  return {
    label,
    root,
    commit: git("rev-parse", "--short=12", "HEAD"),
    dirty: git("status", "--porcelain", "--untracked-files=no") !== "",
    version,
    protocol,
    mairu: path.join(root, "dist", "mairu.cjs"),
    sea: path.join(root, "dist", "sea", "mairu")
  }
}

/** Builds a checkout (its single executable included) unless both are there. */
export const ensureBuilt = (target) => {
  if (fs.existsSync(target.mairu) && fs.existsSync(target.sea)) return
  if (!fs.existsSync(path.join(target.root, "node_modules"))) {
    throw new Error(`${target.root} is not built and has no node_modules: run npm ci && npm run build:sea there`)
  }
  process.stderr.write(`building ${target.root} (npm run build:sea)…\n`)
  const built = spawnSync("npm", ["run", "build:sea"], { cwd: target.root, stdio: ["ignore", 2, 2] })
  if (built.status !== 0) throw new Error(`npm run build:sea failed in ${target.root}`)
}

/** Starts the dev server of `root` and resolves with its ready line (url, clientId) and process. */
export const startDevServer = (root, args = [], env = process.env) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "dist", "devserver.js"), "--auto-approve", ...args], {
      stdio: ["ignore", "pipe", "ignore"],
      env
    })
    let text = ""
    const onData = (data) => {
      text += data
      if (!text.includes("\n")) return
      child.stdout.off("data", onData)
      child.stdout.resume()
      resolve({ child, ...JSON.parse(text.split("\n")[0]) })
    }
    child.stdout.on("data", onData)
    child.once("exit", (code) => reject(new Error(`the dev server exited with ${code}`)))
  })

export const stopProcess = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.removeAllListeners("exit")
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

/** A private home under `tmp` whose servers.d names the dev server "local". */
export const makeHome = (tmp, name, server) => {
  const root = path.join(tmp, name)
  const env = {
    PATH: process.env.PATH,
    HOME: path.join(root, "home"),
    XDG_CONFIG_HOME: path.join(root, "config"),
    XDG_STATE_HOME: path.join(root, "state"),
    MAIRU_AGENT_SOCK: path.join(root, "run", "agent.sock")
  }
  const servers = path.join(env.XDG_CONFIG_HOME, "mairu", "servers.d")
  fs.mkdirSync(servers, { recursive: true })
  fs.mkdirSync(env.HOME, { recursive: true })
  fs.writeFileSync(
    path.join(servers, "local.json"),
    JSON.stringify({
      id: "local",
      url: server.url,
      oauth: { client_id: server.clientId, device_grant: {}, code_grant: {} }
    })
  )
  return { root, env }
}

/** Runs `mairu ARGS` of `target` to its end; throws unless it exits 0. */
export const mairuSync = (target, home, args) => {
  const result = spawnSync(process.execPath, [target.mairu, ...args], { env: home.env, encoding: "utf8" })
  if (result.status !== 0) throw new Error(`mairu ${args.join(" ")} exited ${result.status}: ${result.stderr}`)
  return result
}

/** Logs in to "local" by device grant (the dev server approves at once), which starts the agent. */
export const login = (target, home) => mairuSync(target, home, ["login", "--oauth-grant-type", "device_code", "local"])

/** A request of the agent protocol as `target`'s clients write it, without its newline. */
export const requestLine = (target, id, request) =>
  JSON.stringify({ v: target.protocol, id, version: target.version, request })

/**
 * Sends `requests` on one new connection to the agent, one after another, and resolves with their
 * answers' values; rejects on any failure.
 */
export const askAgent = (target, socketPath, requests) =>
  new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath)
    const values = []
    let buffer = ""
    const next = () => {
      if (values.length === requests.length) {
        socket.destroy()
        return resolve(values)
      }
      socket.write(requestLine(target, values.length + 1, requests[values.length]) + "\n")
    }
    socket.on("connect", next)
    socket.on("error", reject)
    socket.on("data", (data) => {
      buffer += data
      while (buffer.includes("\n")) {
        const text = buffer.slice(0, buffer.indexOf("\n"))
        buffer = buffer.slice(buffer.indexOf("\n") + 1)
        const answer = JSON.parse(text)
        if (answer.exit?._tag !== "Success") {
          socket.destroy()
          return reject(new Error(`the agent refused ${JSON.stringify(requests[values.length])}: ${text}`))
        }
        values.push(answer.exit.value)
        next()
      }
    })
  })

export const credentialsRequest = (role) => ({
  _tag: "GetCredentials",
  server: "local",
  role,
  noCache: false,
  via: "credential-process"
})

export const agentPid = async (target, socketPath) => (await askAgent(target, socketPath, [{ _tag: "Hello" }]))[0].pid

/** Resident memory of a process, in MB. */
export const rssMb = (pid) => {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
  return Number(line.split(/\s+/)[1]) / 1024
}

export const makeTmp = () => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mairu-bench-")))
