// Start-up benchmark: mairu commands against a bare `node -e 0`, measured
// interleaved in one run on this machine. Prints medians and ratios; asserts nothing.
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
// The agent protocol's one version constant, read from its module (this script runs without a TypeScript loader).
const PROTOCOL_VERSION = Number(
  /PROTOCOL_VERSION = (\d+)/.exec(fs.readFileSync(path.join(root, "src", "Schemas", "ProtocolVersion.ts"), "utf8"))[1]
)
const mairu = path.join(root, "dist", "mairu.cjs")
const sea = path.join(root, "dist", "sea", "mairu")
const runs = Number(process.env.BENCH_RUNS ?? 60)

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-bench-"))
const env = {
  PATH: process.env.PATH,
  HOME: path.join(tmp, "home"),
  XDG_CONFIG_HOME: path.join(tmp, "config"),
  XDG_STATE_HOME: path.join(tmp, "state"),
  MAIRU_AGENT_SOCK: path.join(tmp, "run", "agent.sock")
}

const startDevServer = () =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "dist", "devserver.js"), "--auto-approve"], {
      stdio: ["ignore", "pipe", "ignore"]
    })
    child.stdout.once("data", (line) => resolve({ child, ...JSON.parse(line.toString().split("\n")[0]) }))
    child.once("exit", (code) => reject(new Error(`dev server exited with ${code}`)))
  })

const mairuSync = (args) => spawnSync(process.execPath, [mairu, ...args], { env, encoding: "utf8" })

const agentPid = () =>
  new Promise((resolve, reject) => {
    const socket = net.createConnection(env.MAIRU_AGENT_SOCK)
    let text = ""
    socket.on("data", (d) => {
      text += d
      if (text.includes("\n")) {
        socket.destroy()
        resolve(JSON.parse(text).exit.value.pid)
      }
    })
    socket.on("error", reject)
    socket.write(
      JSON.stringify({
        v: PROTOCOL_VERSION,
        id: 1,
        version: JSON.parse(fs.readFileSync(path.join(root, "package.json"))).version,
        request: { _tag: "Hello" }
      }) + "\n"
    )
  })

/** Asks the agent for `count` different roles, one after another on one connection, as the fast path does. */
const holdRoles = (count) =>
  new Promise((resolve, reject) => {
    const socket = net.createConnection(env.MAIRU_AGENT_SOCK)
    const version = JSON.parse(fs.readFileSync(path.join(root, "package.json"))).version
    let buffer = ""
    let next = 0
    const ask = () => {
      if (next === count) {
        socket.destroy()
        return resolve()
      }
      const request = {
        _tag: "GetCredentials",
        server: "local",
        role: `123456789012/Bench${next}`,
        noCache: false,
        via: "credential-process"
      }
      socket.write(JSON.stringify({ v: PROTOCOL_VERSION, id: ++next, version, request }) + "\n")
    }
    socket.on("connect", ask)
    socket.on("error", reject)
    socket.on("data", (data) => {
      buffer += data
      while (buffer.includes("\n")) {
        const line = buffer.slice(0, buffer.indexOf("\n"))
        buffer = buffer.slice(buffer.indexOf("\n") + 1)
        if (JSON.parse(line).exit?._tag !== "Success") return reject(new Error(`a role request failed: ${line}`))
        ask()
      }
    })
  })

const rssMb = (pid) => {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
  return Number(line.split(/\s+/)[1]) / 1024
}

const time = (file, args) => {
  const started = process.hrtime.bigint()
  const result = spawnSync(file, args, { env, stdio: ["ignore", "ignore", "ignore"] })
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const server = await startDevServer()
try {
  fs.mkdirSync(path.join(env.XDG_CONFIG_HOME, "mairu", "servers.d"), { recursive: true })
  fs.writeFileSync(
    path.join(env.XDG_CONFIG_HOME, "mairu", "servers.d", "local.json"),
    JSON.stringify({
      id: "local",
      url: server.url,
      oauth: { client_id: server.clientId, device_grant: {}, code_grant: {} }
    })
  )
  const login = mairuSync(["login", "--oauth-grant-type", "device_code", "local"])
  if (login.status !== 0) throw new Error(`login failed: ${login.stderr}`)

  const cases = [
    { name: "node -e 0", args: ["-e", "0"], target: undefined },
    { name: "mairu credential-process (warm)", args: [mairu, "credential-process", "local", "demo"], target: 1.5 },
    {
      name: "mairu exec --mode static ROLE true",
      args: [mairu, "exec", "--server", "local", "--mode", "static", "demo", "true"],
      target: 2
    },
    {
      name: "mairu exec --mode ecs ROLE true",
      args: [mairu, "exec", "--server", "local", "demo", "true"],
      target: 2.5
    },
    { name: "mairu --version", args: [mairu, "--version"], target: 2 },
    { name: "mairu --help", args: [mairu, "--help"], target: 2 },
    // The single executable (npm run build:sea), when there is one.
    ...(fs.existsSync(sea)
      ? [{
        name: "single executable credential-process",
        file: sea,
        args: ["credential-process", "local", "demo"],
        target: 1.5
      }]
      : [])
  ]
  for (const c of cases) time(c.file ?? process.execPath, c.args) // warm-up (and the credential cache)
  const samples = cases.map(() => [])
  for (let i = 0; i < runs; i++) {
    cases.forEach((c, j) => samples[j].push(time(c.file ?? process.execPath, c.args)))
  }
  const base = median(samples[0])
  console.log(`mairu bench — node ${process.version}, ${os.cpus().length} cpus, ${runs} interleaved runs each`)
  cases.forEach((c, j) => {
    const m = median(samples[j])
    const ratio = m / base
    const target = c.target === undefined ? "" : `  target ≤ ${c.target}×  ${ratio <= c.target ? "met" : "NOT met"}`
    console.log(`${c.name.padEnd(36)} median ${m.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}× node -e 0${target}`)
  })
  // A warm ecs endpoint, from one client inside `mairu exec`: latency of sequential requests and
  // throughput. The client is node:http with a kept-alive connection, as in the AWS SDK for
  // JavaScript; Node 20's fetch would add about 0.3 ms of its own to each request. Then the
  // latency of requests each on a new connection, which the endpoint traces to its process.
  const probe = `
import * as http from "node:http"
const url = process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, headers = { authorization: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN }
let agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
const get = () => new Promise((resolve, reject) => {
  http.get(url, { headers, agent }, (res) => {
    if (res.statusCode !== 200) reject(new Error("status " + res.statusCode))
    res.on("data", () => {}).on("end", resolve)
  }).on("error", reject)
})
for (let i = 0; i < 200; i++) await get()
const times = []
for (let i = 0; i < 1000; i++) { const t = process.hrtime.bigint(); await get(); times.push(Number(process.hrtime.bigint() - t) / 1e6) }
times.sort((a, b) => a - b)
// Throughput: the median of five 400 ms windows, so that one hiccup of the machine does not decide it.
const rates = []
for (let w = 0; w < 5; w++) {
  const started = process.hrtime.bigint(); let n = 0
  while (Number(process.hrtime.bigint() - started) < 4e8) { await get(); n++ }
  rates.push(n / 0.4)
}
rates.sort((a, b) => a - b)
agent = new http.Agent({ keepAlive: false })
const fresh = []
for (let i = 0; i < 300; i++) { const t = process.hrtime.bigint(); await get(); fresh.push(Number(process.hrtime.bigint() - t) / 1e6) }
fresh.sort((a, b) => a - b)
console.log(JSON.stringify({ median: times[500], rps: rates[2], fresh: fresh[150] }))`
  const ecs = JSON.parse(
    mairuSync(["exec", "--server", "local", "demo", process.execPath, "--input-type=module", "-e", probe]).stdout
  )
  console.log(
    `${"ecs endpoint, warm request".padEnd(36)} median ${ecs.median.toFixed(2).padStart(7)} ms  target ≤ 1 ms  ${
      ecs.median <= 1 ? "met" : "NOT met"
    }`
  )
  console.log(
    `${"ecs endpoint, one client".padEnd(36)} ${String(Math.round(ecs.rps)).padStart(7)} req/s  target ≥ 2000  ${
      ecs.rps >= 2000 ? "met" : "NOT met"
    }`
  )
  console.log(`${"ecs endpoint, new connection".padEnd(36)} median ${ecs.fresh.toFixed(2).padStart(7)} ms`)
  const pid = await agentPid()
  const idle = rssMb(pid)
  console.log(
    `${"agent RSS (1 session, few roles)".padEnd(36)} ${idle.toFixed(1)} MB  target ≤ 80 MB  ${
      idle <= 80 ? "met" : "NOT met"
    }`
  )
  await holdRoles(500)
  const holding = rssMb(pid)
  console.log(
    `${"agent RSS holding 500 roles".padEnd(36)} ${holding.toFixed(1)} MB  target ≤ 120 MB  ${
      holding <= 120 ? "met" : "NOT met"
    }`
  )
} finally {
  mairuSync(["kill-agent"])
  server.child.kill("SIGTERM")
  fs.rmSync(tmp, { recursive: true, force: true })
}
