// The benchmark, measured as users meet mairu: each path is a whole new process against a warm
// agent, timed from just before it is spawned to its exit, interleaved with `node -e 0` in the
// same run (each sample's ratio is taken against the `node -e 0` run just before it). Then the
// ecs endpoint (one new connection per request, as SDKs make them), the agent's answer time,
// and its resident memory, after 1,000 credential requests and over a simulated day. Beside them,
// Node alone on this machine (scripts/bench/floors.mjs): a client and servers without mairu's code.
//   npm run bench                        builds the single executable, then runs this
//   node scripts/bench.mjs [--json] [--base DIR] [--runs N] [--day-speed N] [--no-day]
// --base DIR runs every measurement against a second checkout too (built first unless it is),
// interleaved with this one, and prints both side by side. It asserts nothing.
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { LIBFAKETIME, simulateDay } from "./bench/day.mjs"
import { startFloors } from "./bench/floors.mjs"
import {
  agentPid,
  askAgent,
  checkout,
  credentialsRequest,
  ensureBuilt,
  login,
  mairuSync,
  makeHome,
  makeTmp,
  requestLine,
  rssMb,
  startDevServer,
  stopProcess
} from "./bench/harness.mjs"
import { summary, timeProcess } from "./bench/timing.mjs"

const USAGE = `Usage: npm run bench -- [OPTIONS]   (or: node scripts/bench.mjs [OPTIONS], after npm run build:sea)

  --json          one JSON document on stdout instead of the table
  --base DIR      measure a second checkout too (built first unless it is), side by side
  --runs N        interleaved rounds of each path (default 40, or BENCH_RUNS)
  --day-speed N   how much faster than real time the simulated day runs (default 360)
  --no-day        skip the simulated day
  -h, --help      print this help
`

const fail = (message) => {
  process.stderr.write(`bench: ${message}\n${USAGE}`)
  process.exit(2)
}

let parsed
try {
  parsed = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      base: { type: "string" },
      runs: { type: "string", default: process.env.BENCH_RUNS ?? "40" },
      "day-speed": { type: "string", default: "360" },
      "no-day": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false }
    }
  })
} catch (error) {
  fail(error.message)
}
const { values: options } = parsed
if (options.help) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const runs = Number(options.runs)
const daySpeed = Number(options["day-speed"])
if (!Number.isInteger(runs) || runs < 1) fail(`--runs ${options.runs} is not a whole number of rounds (1 or more)`)
if (!(daySpeed > 0)) fail(`--day-speed ${options["day-speed"]} is not a positive number`)

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const targets = [checkout(root, "this")]
if (options.base !== undefined) targets.push(checkout(path.resolve(options.base), "base"))
for (const target of targets) ensureBuilt(target)

const progress = (text) => {
  if (!options.json) process.stderr.write(`${text}\n`)
}

/** The paths users start, each a fresh process of `target`; `target` is the ratio aimed at. */
const pathsOf = (t) => [
  { name: "credential-process", args: [t.mairu, "credential-process", "local", "demo"], goal: 1.25 },
  {
    name: "exec --mode static … /bin/true",
    args: [t.mairu, "exec", "--server", "local", "--mode", "static", "demo", "/bin/true"],
    goal: 1.5
  },
  // To the moment the command runs: its first output (/bin/echo's own start, under a millisecond, included).
  {
    name: "exec --mode ecs, to the command's start",
    args: [t.mairu, "exec", "--server", "local", "demo", "/bin/echo", "started"],
    untilOutput: true
  },
  { name: "--version", args: [t.mairu, "--version"] },
  { name: "--help", args: [t.mairu, "--help"] },
  {
    name: "single executable credential-process",
    file: t.sea,
    args: ["credential-process", "local", "demo"],
    goal: 1.25
  }
]

/** One request per new connection, as SDKs make them, timed inside a command run by `mairu exec` (ecs mode). */
const ECS_PROBE = `
import * as http from "node:http"
const url = new URL(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI)
const headers = { authorization: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN }
const get = () => new Promise((resolve, reject) => {
  const started = process.hrtime.bigint()
  http.get(url, { headers, agent: false }, (res) => {
    if (res.statusCode !== 200) return reject(new Error("status " + res.statusCode))
    res.resume().on("end", () => resolve(Number(process.hrtime.bigint() - started) / 1e6))
  }).on("error", reject)
})
for (let i = 0; i < 50; i++) await get()
const times = []
for (let i = 0; i < 300; i++) times.push(await get())
console.log(JSON.stringify(times))`

/** How long the agent is left idle before its memory is read again. */
const IDLE_MS = 20_000

const timed = async (call) => {
  const started = process.hrtime.bigint()
  await call()
  return Number(process.hrtime.bigint() - started) / 1e6
}

const tmp = makeTmp()
const server = await startDevServer(root)
const floors = await startFloors(tmp)
const nodeSamples = []
const results = {
  paths: [],
  floors: [],
  ecs: {},
  ecsFloor: undefined,
  agentAnswer: {},
  rss1000: {},
  rssIdle: {},
  day: {}
}
try {
  const homes = new Map()
  const agentArgv = new Map()
  for (const target of targets) {
    const home = makeHome(tmp, target.label, server)
    homes.set(target.label, home)
    login(target, home)
    const pid = await agentPid(target, home.env.MAIRU_AGENT_SOCK)
    // The agent's command line as its launcher made it, for the simulated day.
    agentArgv.set(target.label, fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== ""))
  }
  const node = { file: process.execPath, args: ["-e", "0"] }
  const cases = pathsOf(targets[0]).map((c, i) => ({ ...c, of: targets.map((t) => pathsOf(t)[i]) }))
  const run = (c, target) => timeProcess(c.file ?? process.execPath, c.args, { env: homes.get(target.label).env, ...c })

  // Node alone, for what credential-process does: the same request line, from a client without mairu's code.
  const thisHome = homes.get(targets[0].label)
  const line = requestLine(targets[0], 1, credentialsRequest("demo"))
  const floorCases = [
    { name: "node:net client asking this agent", args: [floors.client, thisHome.env.MAIRU_AGENT_SOCK, line] },
    {
      name: "node:net client asking this agent, then running /bin/true",
      args: [floors.client, thisHome.env.MAIRU_AGENT_SOCK, line, "/bin/true"]
    },
    { name: "node:net client asking a server that answers at once", args: [floors.client, floors.socketPath, "{}"] }
  ]
  const runFloor = (c) => timeProcess(process.execPath, c.args, { env: thisHome.env })

  progress(
    `timing ${cases.length} paths × ${targets.length} checkout(s) and ${floorCases.length} floors, ${runs} interleaved rounds…`
  )
  for (const c of cases) for (const [j, t] of targets.entries()) await run(c.of[j], t) // warm-up
  for (const c of floorCases) await runFloor(c)
  const samples = cases.map(() => targets.map(() => ({ ms: [], ratio: [] })))
  const floorSamples = floorCases.map(() => ({ ms: [], ratio: [] }))
  const yardstick = async () => {
    const ms = await timeProcess(node.file, node.args, { env: thisHome.env })
    nodeSamples.push(ms)
    return ms
  }
  for (let round = 0; round < runs; round++) {
    for (const [i, c] of cases.entries()) {
      const nodeMs = await yardstick()
      // Alternate which checkout goes first, so that neither always follows node -e 0.
      const order = round % 2 === 0 ? [...targets.keys()] : [...targets.keys()].reverse()
      for (const j of order) {
        const ms = await run(c.of[j], targets[j])
        samples[i][j].ms.push(ms)
        samples[i][j].ratio.push(ms / nodeMs)
      }
    }
    for (const [i, c] of floorCases.entries()) {
      const nodeMs = await yardstick()
      const ms = await runFloor(c)
      floorSamples[i].ms.push(ms)
      floorSamples[i].ratio.push(ms / nodeMs)
    }
  }
  results.paths = cases.map((c, i) => ({
    name: c.name,
    goal: c.goal,
    results: Object.fromEntries(
      targets.map((t, j) => [t.label, { ms: summary(samples[i][j].ms), ratio: summary(samples[i][j].ratio) }])
    )
  }))
  results.floors = floorCases.map((c, i) => ({
    name: c.name,
    ms: summary(floorSamples[i].ms),
    ratio: summary(floorSamples[i].ratio)
  }))

  progress("ecs endpoint, one new connection per request…")
  const ecsTimes = new Map(targets.map((t) => [t.label, []]))
  for (let round = 0; round < 3; round++) {
    for (const target of targets) {
      const probe = mairuSync(target, homes.get(target.label), [
        "exec",
        "--server",
        "local",
        "demo",
        process.execPath,
        "--input-type=module",
        "-e",
        ECS_PROBE
      ])
      ecsTimes.get(target.label).push(...JSON.parse(probe.stdout))
    }
  }
  for (const [label, times] of ecsTimes) results.ecs[label] = summary(times)
  // The same probe against a node:http server that answers at once: what Node's HTTP costs here.
  const floorTimes = []
  for (let round = 0; round < 3; round++) {
    const probe = spawnSync(process.execPath, ["--input-type=module", "-e", ECS_PROBE], {
      env: { ...thisHome.env, AWS_CONTAINER_CREDENTIALS_FULL_URI: floors.url, AWS_CONTAINER_AUTHORIZATION_TOKEN: "t" },
      encoding: "utf8"
    })
    if (probe.status !== 0) throw new Error(`the ecs probe against the instant server failed: ${probe.stderr}`)
    floorTimes.push(...JSON.parse(probe.stdout))
  }
  results.ecsFloor = summary(floorTimes)

  progress("the agent's answer, one new connection per request…")
  const answerTimes = new Map(targets.map((t) => [t.label, []]))
  for (let round = 0; round < 5; round++) {
    for (const target of targets) {
      const socket = homes.get(target.label).env.MAIRU_AGENT_SOCK
      for (let i = 0; i < 100; i++) {
        answerTimes.get(target.label).push(await timed(() => askAgent(target, socket, [credentialsRequest("demo")])))
      }
    }
  }
  for (const [label, times] of answerTimes) results.agentAnswer[label] = summary(times)

  progress("the agent's memory after 1,000 credential requests (100 roles), and once it has been idle…")
  for (const target of targets) {
    const socket = homes.get(target.label).env.MAIRU_AGENT_SOCK
    for (let i = 0; i < 1000; i++) await askAgent(target, socket, [credentialsRequest(`123456789012/Bench${i % 100}`)])
    results.rss1000[target.label] = rssMb(await agentPid(target, socket))
  }
  // V8 gives back what a burst left behind once the process has been idle a few seconds.
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
  for (const target of targets) {
    results.rssIdle[target.label] = rssMb(await agentPid(target, homes.get(target.label).env.MAIRU_AGENT_SOCK))
  }
  for (const target of targets) mairuSync(target, homes.get(target.label), ["kill-agent"])

  if (!options["no-day"]) {
    if (fs.existsSync(LIBFAKETIME)) {
      progress(`a simulated day of refreshes (libfaketime, ×${daySpeed}: ${(86400 / daySpeed).toFixed(0)} s)…`)
      // Settled, not all: a day that fails must not leave the other's agent and server running.
      const days = await Promise.allSettled(targets.map((t) => simulateDay(t, agentArgv.get(t.label), tmp, daySpeed)))
      for (const [j, day] of days.entries()) {
        if (day.status === "rejected") throw day.reason
        results.day[targets[j].label] = day.value
      }
    } else {
      progress(`no simulated day: ${LIBFAKETIME} is missing (Debian: apt-get install libfaketime)`)
    }
  }
} finally {
  floors.stop()
  await stopProcess(server.child)
  fs.rmSync(tmp, { recursive: true, force: true })
}

const report = {
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  cpus: os.cpus().length,
  rounds: runs,
  checkouts: targets.map(({ label, root, commit, dirty }) => ({ label, root, commit, dirty })),
  nodeEMs: summary(nodeSamples),
  ...results
}

if (options.json) {
  console.log(JSON.stringify(report, null, 2))
} else {
  // A Markdown table: readable as it is, and ready to paste into a note.
  const labels = targets.map((t) => t.label)
  const met = (ok) => (ok ? "met" : "NOT met")
  const range = (s, digits, unit = "") =>
    `${s.p50.toFixed(digits)}${unit} [${s.p10.toFixed(digits)}–${s.p90.toFixed(digits)}]`
  const row = (name, cells, target = "") => `| ${name} | ${cells.join(" | ")} | ${target} |`
  const lines = [
    `mairu bench: node ${process.version}, ${report.platform}, ${report.cpus} CPUs; ${runs} interleaved rounds`,
    ...targets.map((t) => `- ${t.label}: ${t.commit}${t.dirty ? " (uncommitted changes)" : ""} in ${t.root}`),
    "",
    row("each path a new process, warm agent", labels.map((l) => `${l}: median, × node -e 0 p50 [p10–p90]`), "target"),
    row("---", labels.map(() => "---"), "---"),
    row("node -e 0", labels.map(() => `${report.nodeEMs.p50.toFixed(1)} ms`))
  ]
  for (const p of report.paths) {
    const goal = p.goal === undefined ? "" : `≤ ${p.goal}× ${met(p.results.this.ratio.p50 <= p.goal)}`
    lines.push(
      row(p.name, labels.map((l) => `${p.results[l].ms.p50.toFixed(1)} ms, ${range(p.results[l].ratio, 2, "×")}`), goal)
    )
  }
  // Node alone: measured once, shown in the first column.
  const alone = (cell) => labels.map((_, j) => (j === 0 ? cell : "—"))
  for (const f of report.floors) {
    lines.push(row(`Node alone: ${f.name}`, alone(`${f.ms.p50.toFixed(1)} ms, ${range(f.ratio, 2, "×")}`)))
  }
  lines.push(
    row(
      "ecs request, a new connection each",
      labels.map((l) => range(report.ecs[l], 2, " ms")),
      `≤ 0.5 ms ${met(report.ecs.this.p50 <= 0.5)}`
    ),
    row(
      "Node alone: the same request to a node:http server that answers at once",
      alone(range(report.ecsFloor, 2, " ms"))
    ),
    row("agent's answer, a new connection each", labels.map((l) => range(report.agentAnswer[l], 2, " ms"))),
    row(
      "agent RSS after 1,000 credential requests",
      labels.map((l) => `${report.rss1000[l].toFixed(1)} MB`),
      `≤ 60 MB ${met(report.rss1000.this <= 60)}`
    ),
    row(
      `agent RSS after those requests and ${IDLE_MS / 1000} s idle`,
      labels.map((l) => `${report.rssIdle[l].toFixed(1)} MB`)
    )
  )
  if (report.day.this !== undefined) {
    const day = (l) => report.day[l]
    const at = (l, hour) => day(l).rssMbByHour[hour - 1].toFixed(1)
    lines.push(
      row(
        `agent RSS over a simulated day (×${daySpeed}), hours 1 / 12 / 24`,
        labels.map((l) => `${at(l, 1)} / ${at(l, 12)} / ${at(l, 24)} MB`),
        "flat"
      ),
      row(
        "what the day did (simulated hours, session refreshes, credentials issued, failed requests, logged in at its end)",
        labels.map((l) =>
          `${day(l).simulatedHours.toFixed(1)} h, ${day(l).sessionRefreshes}, ${day(l).credentialsIssued}, ${
            day(l).failedRequests
          }, ${day(l).loggedIn ? "yes" : "no"}`
        )
      )
    )
  }
  console.log(lines.join("\n"))
}
