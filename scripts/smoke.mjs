// Smoke test of what users run: an installed `mairu` (from the npm package, or the single
// executable) against the bundled dev server, in a temporary home.
//   node scripts/smoke.mjs PATH_TO_MAIRU             e.g. $PREFIX/bin/mairu after `npm install -g`
//   node scripts/smoke.mjs --without-node dist/sea/mairu
// --without-node runs mairu with no `node` on PATH (the single executable needs none).
// The dev server and the AWS SDK clients that check the credentials come from this checkout.
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const withoutNode = process.argv.includes("--without-node")
const target = process.argv.slice(2).find((a) => !a.startsWith("--"))
if (target === undefined) {
  console.error("usage: node scripts/smoke.mjs [--without-node] PATH_TO_MAIRU")
  process.exit(2)
}
const mairu = path.resolve(target)
const version = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version
const requireFromRoot = createRequire(path.join(root, "package.json"))
const { STSClient, GetCallerIdentityCommand } = requireFromRoot("@aws-sdk/client-sts")

// The AWS SDK's notice about future Node versions is not what this checks.
process.removeAllListeners("warning")
process.on("warning", (warning) => {
  if (!`${warning.name} ${warning.message}`.includes("NodeVersionSupportWarning")) {
    console.error(`${warning.name}: ${warning.message}`)
  }
})

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mairu-smoke-")))
// The dirs of PATH without a `node` in them (for the single executable), else PATH as it is.
const searchPath = withoutNode
  ? (process.env.PATH ?? "").split(path.delimiter).filter((dir) => dir !== "" && !fs.existsSync(path.join(dir, "node")))
    .join(path.delimiter)
  : process.env.PATH
const env = {
  PATH: searchPath,
  HOME: path.join(tmp, "home"),
  XDG_CONFIG_HOME: path.join(tmp, "config"),
  XDG_STATE_HOME: path.join(tmp, "state"),
  MAIRU_NO_BROWSER: "1",
  // The single executable's agent writes its native helper here for a moment.
  TMPDIR: path.join(tmp, "tmp"),
  AWS_REGION: "us-east-1",
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true"
}
fs.mkdirSync(env.HOME, { recursive: true })
fs.mkdirSync(env.TMPDIR, { recursive: true })

let failures = 0
const check = (name, ok, detail = "") => {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}`)
  if (!ok) {
    failures++
    if (detail) console.log(detail.replace(/^/gm, "     "))
  }
}

const run = (args, extraEnv = {}, options = {}) => {
  const result = spawnSync(mairu, args, {
    env: { ...env, ...extraEnv },
    encoding: "utf8",
    cwd: env.HOME,
    timeout: 60_000,
    ...options
  })
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", error: result.error }
}
const describe = (r) =>
  `exit ${r.code}${r.error ? ` (${r.error.message})` : ""}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`

const startDevServer = () =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "dist", "devserver.js"), "--auto-approve"], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    child.stdout.once("data", (line) => resolve({ child, ...JSON.parse(line.toString().split("\n")[0]) }))
    child.once("exit", (code) => reject(new Error(`dev server exited with ${code}`)))
  })

/** The caller identity that the dev server's STS verifies for these credentials. */
const callerArn = async (server, credentials) => {
  const sts = new STSClient({ region: "us-east-1", endpoint: server.stsEndpoint, credentials })
  return (await sts.send(new GetCallerIdentityCommand({}))).Arn
}

const parseJson = (text) => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The TCP ports process `pid` listens on (its sockets' inodes in /proc/net/tcp and tcp6). */
const listeningPorts = (pid) => {
  const inodes = new Set()
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = fs.readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/)
      if (match !== null) inodes.add(match[1])
    } catch {
      // closed meanwhile
    }
  }
  const ports = []
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of fs.readFileSync(table, "utf8").split("\n").slice(1)) {
      const columns = line.trim().split(/\s+/)
      if (columns[3] === "0A" && inodes.has(columns[9])) ports.push(parseInt(columns[1].split(":")[1], 16))
    }
  }
  return ports
}

/**
 * SIGUSR1, and Node's own process._debugProcess, open no debugger in the agent: it logs
 * that it ignored the signal (or its Node keeps the signal blocked, with --disable-sigusr1),
 * listens on no TCP port, still answers, and says its inspector is closed.
 */
const checkNoInspector = async (pid) => {
  if (process.platform !== "linux") return
  const log = path.join(env.XDG_STATE_HOME, "mairu", "log", "agent.log")
  const ignored = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "").split("ignored a SIGUSR1").length - 1
  const blocked = () => {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const mask = (name) => BigInt(`0x${status.match(new RegExp(`^${name}:\\s*([0-9a-f]+)`, "m"))[1]}`)
    return (mask("ShdPnd") & (1n << 9n)) !== 0n && (mask("SigBlk") & (1n << 9n)) !== 0n
  }
  const before = ignored()
  process.kill(pid, "SIGUSR1")
  spawnSync(process.execPath, ["-e", `process._debugProcess(${pid})`])
  const deadline = Date.now() + 10_000
  while (ignored() < before + 2 && !blocked() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  check("SIGUSR1 and process._debugProcess reach the agent", ignored() >= before + 2 || blocked())
  const ports = listeningPorts(pid)
  check("the agent listens on no TCP port after them (no inspector)", ports.length === 0, `ports: ${ports.join(", ")}`)
  const after = run(["status", "--json"])
  check(
    "status --json: the agent answers and its inspector is closed",
    parseJson(after.stdout)?.agent?.hardening?.inspector_closed === true,
    describe(after)
  )
}

const server = await startDevServer()
try {
  const awsEndpoints = {
    AWS_ENDPOINT_URL_SSO_OIDC: server.url,
    AWS_ENDPOINT_URL_SSO: server.url,
    AWS_ENDPOINT_URL_STS: server.stsEndpoint
  }
  Object.assign(env, awsEndpoints)
  console.log(`smoke test of ${mairu}${withoutNode ? " (no node on PATH)" : ""}, dev server at ${server.url}`)
  if (withoutNode) {
    const which = spawnSync("/bin/sh", ["-c", "command -v node"], { env, encoding: "utf8" })
    check("no node on the PATH mairu runs with", which.status !== 0, which.stdout)
  }

  const v = run(["--version"])
  check("--version", v.code === 0 && v.stdout.trim() === version, describe(v))
  const help = run(["--help"])
  check(
    "--help",
    help.code === 0 && help.stdout.includes("USAGE") && help.stdout.includes("credential-process"),
    describe(help)
  )
  const completions = run(["--completions", "bash"])
  check("--completions bash", completions.code === 0 && completions.stdout.includes("mairu"), describe(completions))

  // A Mairu API server
  const serversDir = path.join(env.XDG_CONFIG_HOME, "mairu", "servers.d")
  fs.mkdirSync(serversDir, { recursive: true })
  fs.writeFileSync(
    path.join(serversDir, "local.json"),
    JSON.stringify({
      id: "local",
      url: server.url,
      oauth: { client_id: server.clientId, device_grant: {}, code_grant: {} }
    })
  )
  const login = run(["login", "--oauth-grant-type", "device_code", "local"])
  check("login (device grant, starts the agent)", login.code === 0, describe(login))
  const sessions = run(["list-sessions"])
  check("list-sessions", sessions.code === 0 && sessions.stdout.includes("local"), describe(sessions))

  const status = run(["status", "--json"])
  const report = parseJson(status.stdout)
  const agent = report?.agent
  check(
    "status --json: the agent runs this version",
    status.code === 0 && agent?.running === true && agent.version === version,
    describe(status)
  )
  if (agent?.pid !== undefined) await checkNoInspector(agent.pid)
  if (agent?.pid !== undefined && fs.existsSync(`/proc/${agent.pid}`)) {
    const exe = fs.readlinkSync(`/proc/${agent.pid}/exe`)
    const cmdline = fs.readFileSync(`/proc/${agent.pid}/cmdline`, "utf8").split("\0")
    // The agent is the same mairu: the executable itself, or node with the installed entry.
    const same = withoutNode
      ? exe === fs.realpathSync(mairu)
      : cmdline.includes(mairu) || cmdline.includes(fs.realpathSync(mairu))
    check("the agent is the same mairu", same, `exe: ${exe}\ncmdline: ${cmdline.join(" ")}`)
    // V8 takes --jitless only at start: node's command line, or the single executable's NODE_OPTIONS.
    const environ = () => fs.readFileSync(`/proc/${agent.pid}/environ`, "utf8").split("\0")
    const startFlags = withoutNode ? environ().find((v) => v.startsWith("NODE_OPTIONS=")) ?? "" : cmdline.join(" ")
    check("the agent runs without V8's compilers (--jitless)", startFlags.includes("--jitless"), startFlags)
    const coreLimit = fs.readFileSync(`/proc/${agent.pid}/limits`, "utf8").match(/^Max core file size\s+(\S+)\s+(\S+)/m)
    check(
      "the agent's core file size is 0 (/proc/PID/limits)",
      coreLimit?.[1] === "0" && coreLimit[2] === "0",
      String(coreLimit?.[0])
    )
  }
  check(
    "status --json: the agent blocks debuggers and core dumps (its native helper loaded)",
    agent?.hardening?.debuggers_blocked === true && agent.hardening.core_dumps_off === true &&
      agent.hardening.problem === null,
    JSON.stringify(agent?.hardening)
  )
  const leftovers = fs.readdirSync(env.TMPDIR)
  check("the agent left no file in TMPDIR", leftovers.length === 0, leftovers.join("\n"))

  const cp = run(["credential-process", "local", "123456789012/Developer"])
  const creds = parseJson(cp.stdout)
  check(
    "credential-process prints Version 1 credentials",
    cp.code === 0 && creds?.Version === 1 && typeof creds.AccessKeyId === "string",
    describe(cp)
  )
  if (creds?.AccessKeyId !== undefined) {
    const arn = await callerArn(server, {
      accessKeyId: creds.AccessKeyId,
      secretAccessKey: creds.SecretAccessKey,
      sessionToken: creds.SessionToken
    })
    check(
      "credential-process: STS verifies the signature",
      arn === "arn:aws:sts::123456789012:assumed-role/Developer/alice",
      String(arn)
    )
  }

  // `exec` runs a node script (by its absolute path) that signs sts:GetCallerIdentity with the
  // AWS SDK's default credential chain, as any AWS tool would.
  const probe = path.join(tmp, "probe.cjs")
  fs.writeFileSync(
    probe,
    `const { STSClient, GetCallerIdentityCommand } = require("module").createRequire(${
      JSON.stringify(path.join(root, "package.json"))
    })("@aws-sdk/client-sts")
new STSClient({}).send(new GetCallerIdentityCommand({})).then((r) => console.log(JSON.stringify({
  arn: r.Arn, keyInEnv: process.env.AWS_ACCESS_KEY_ID !== undefined, ecs: process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI !== undefined
})), (e) => { console.error(e); process.exit(3) })
`
  )
  for (const mode of ["static", "ecs"]) {
    const r = run(["exec", "--server", "local", "--mode", mode, "123456789012/Developer", process.execPath, probe])
    const out = parseJson(r.stdout.trim())
    check(
      `exec --mode ${mode}: the command's AWS SDK gets the role`,
      r.code === 0 && out?.arn === "arn:aws:sts::123456789012:assumed-role/Developer/alice" &&
        out.keyInEnv === (mode === "static") && out.ecs === (mode === "ecs"),
      describe(r)
    )
  }
  const exitStatus = run(["exec", "--server", "local", "123456789012/Developer", "/bin/sh", "-c", "exit 7"])
  check("exec passes on the command's exit status", exitStatus.code === 7, describe(exitStatus))

  // Role chaining: the agent calls sts:AssumeRole through the AWS SDK.
  const chained = run([
    "exec",
    "--server",
    "local",
    "--assume-role",
    "arn:aws:iam::210987654321:role/Target",
    "123456789012/Developer",
    process.execPath,
    probe
  ])
  check(
    "exec --assume-role: the chained role",
    chained.code === 0 &&
      parseJson(chained.stdout.trim())?.arn === "arn:aws:sts::210987654321:assumed-role/Target/alice",
    describe(chained)
  )

  const consoleUrl = run(["console", "--print", "--server", "local", "123456789012/Developer"], {
    MAIRU_FEDERATION_ENDPOINT: `${server.url}federation`
  })
  let page = ""
  if (consoleUrl.code === 0) page = await (await globalThis.fetch(consoleUrl.stdout.trim())).text()
  check(
    "console --print: a sign-in URL for the role",
    page.includes("assumed-role/Developer/alice"),
    describe(consoleUrl)
  )

  const show = run(["show"])
  const parsed = (() => {
    try {
      return JSON.parse(show.stdout)
    } catch {
      return undefined
    }
  })()
  check("show (no .mairu.json)", show.code === 0 && parsed !== undefined && parsed.auto === null, describe(show))

  // AWS IAM Identity Center, through the emulator (the AWS SDK's sso-oidc and sso clients).
  const setup = run(["setup-sso", "contoso", "--region", "us-east-1", "--start-url", `${server.url}start`])
  check("setup-sso", setup.code === 0, describe(setup))
  const ssoLogin = run(["login", "--oauth-grant-type", "device_code", "contoso"])
  check("login to AWS SSO (device grant)", ssoLogin.code === 0, describe(ssoLogin))
  const roles = run(["list-roles", "contoso"])
  check("list-roles", roles.code === 0 && roles.stdout.includes("111111111111/AdministratorAccess"), describe(roles))
  // The profiles name this very mairu by absolute path: the single executable, or node and the package's script.
  const profiles = run(["profiles", "--print", "contoso"])
  const program = /^credential_process = (.*) credential-process contoso 111111111111\/AdministratorAccess$/m
    .exec(profiles.stdout)?.[1]
  const real = fs.realpathSync(mairu)
  check(
    "profiles --print",
    profiles.code === 0 && program !== undefined && path.isAbsolute(program) &&
      (program === real || program.endsWith(` ${real}`)),
    describe(profiles)
  )
  const ssoExec = run(["exec", "--server", "contoso", "111111111111/AdministratorAccess", process.execPath, probe])
  check(
    "exec with an AWS SSO role",
    ssoExec.code === 0 &&
      parseJson(ssoExec.stdout.trim())?.arn === "arn:aws:sts::111111111111:assumed-role/AdministratorAccess/alice",
    describe(ssoExec)
  )

  const kill = run(["kill-agent"])
  check("kill-agent", kill.code === 0, describe(kill))
  const after = parseJson(run(["status", "--json"]).stdout)
  check("no agent after kill-agent", after?.agent?.running === false, JSON.stringify(after))

  // The agent turns core dumps off itself: started by hand from a shell that allows them.
  if (fs.existsSync("/proc/self/limits")) {
    const foreground = spawn("/bin/sh", [
      "-c",
      "ulimit -c unlimited; exec \"$@\"",
      "sh",
      mairu,
      "agent",
      "--foreground"
    ], {
      env,
      stdio: ["ignore", "ignore", "pipe"]
    })
    const listening = await new Promise((resolve) => {
      let seen = ""
      foreground.stderr.on("data", (data) => {
        seen += data.toString()
        if (seen.includes("listening on")) resolve(true)
      })
      foreground.once("exit", () => resolve(false))
      setTimeout(() => resolve(false), 20_000).unref()
    })
    const limits = listening ? fs.readFileSync(`/proc/${foreground.pid}/limits`, "utf8") : ""
    const coreLimit = limits.match(/^Max core file size\s+(\S+)\s+(\S+)/m)
    check(
      "agent --foreground from a shell with ulimit -c unlimited: core file size 0",
      coreLimit?.[1] === "0" && coreLimit[2] === "0",
      String(coreLimit?.[0])
    )
    run(["kill-agent"])
    if (foreground.exitCode === null) await new Promise((resolve) => foreground.once("exit", resolve))
  }
} catch (error) {
  check("smoke test ran to the end", false, error instanceof Error ? error.stack ?? error.message : String(error))
} finally {
  run(["kill-agent"])
  server.child.kill("SIGTERM")
  fs.rmSync(tmp, { recursive: true, force: true })
}
console.log(failures === 0 ? "smoke test passed" : `smoke test: ${failures} check(s) failed`)
process.exitCode = failures === 0 ? 0 : 1
