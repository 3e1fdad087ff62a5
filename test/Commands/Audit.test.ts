import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import {
  cleanupHome,
  collect,
  mairuBin,
  type MairuHome,
  makeHome,
  runMairu,
  startMairu,
  waitForStderr
} from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

/** One line of `mairu audit --json`. */
interface Entry {
  readonly seq: number
  readonly time: string
  readonly server: string
  readonly role: string
  readonly via: string
  readonly outcome: "handed-out" | "refused" | "failed"
  readonly source: string | null
  readonly access_key_id: string | null
  readonly assume_role: { readonly role_arn: string; readonly role_session_name: string | null } | null
  readonly error: { readonly kind: string; readonly message: string } | null
  readonly requester: {
    readonly attribution: string
    readonly pid: number | null
    readonly uid: number | null
    readonly executable: string | null
    readonly argv: string | null
    readonly cwd: string | null
    readonly parents: ReadonlyArray<{ readonly pid: number; readonly command: string }>
    readonly reported_by: { readonly pid: number; readonly command: string } | null
    readonly socket: string | null
    readonly reason: string | null
  }
}

let server: DevServer
let home: MairuHome
let auditFile: string
/** Secrets that reached the test from elsewhere than the dev server: the ecs endpoints' tokens. */
const ecsTokens: Array<string> = []

const awsEnv = {
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true"
}

beforeAll(async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-audit-"))
  auditFile = path.join(root, "audit.jsonl")
  ;({ server, home } = await setUpLocal({
    // The agent takes the STS endpoint for role chaining from its environment.
    env: (server) => ({ MAIRU_AUDIT_LOG: auditFile, AWS_ENDPOINT_URL_STS: server.stsEndpoint })
  }))
})
afterAll(async () => {
  await tearDownLocal({ server, home })
  fs.rmSync(path.dirname(auditFile), { recursive: true, force: true })
})

const audit = async (args: ReadonlyArray<string> = [], target: MairuHome = home): Promise<Array<Entry>> => {
  const result = await runMairu(target, ["audit", "--json", ...args])
  expect(result.stderr).toBe("")
  expect(result.code).toBe(0)
  return result.stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as Entry)
}

/** Runs `command` as a child of this process, from `cwd`; resolves with its pid and output. */
const runChild = (file: string, args: ReadonlyArray<string>, options: { cwd?: string; env?: object } = {}) => {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { ...home.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  return { pid: child.pid!, done: collect(child) }
}

const folder = (name: string) => {
  const dir = path.join(home.root, name)
  fs.mkdirSync(dir, { recursive: true })
  return fs.realpathSync(dir)
}

describe("mairu audit", () => {
  it("names the process that ran credential-process, its folder and its parent", async () => {
    const dir = folder("project dir")
    const shell = runChild("/bin/sh", [
      "-c",
      `cd '${dir}' && exec "$0" "$1" credential-process local demo`,
      process.execPath,
      mairuBin
    ])
    const result = await shell.done
    expect(result.code).toBe(0)
    const printed = JSON.parse(result.stdout) as { AccessKeyId: string }

    const entry = (await audit()).find((e) => e.requester.pid === shell.pid)!
    expect(entry).toMatchObject({
      server: "local",
      role: "demo",
      via: "credential-process",
      outcome: "handed-out",
      access_key_id: printed.AccessKeyId,
      error: null,
      requester: {
        attribution: "kernel",
        pid: shell.pid,
        uid: process.getuid!(),
        executable: fs.realpathSync(process.execPath),
        cwd: dir,
        reported_by: null
      }
    })
    expect(["cache", "upstream"]).toContain(entry.source)
    expect(entry.requester.argv).toContain(`${mairuBin} credential-process local demo`)
    expect(entry.requester.parents[0]!.pid).toBe(process.pid)
  })

  it("records the --assume-role chain it handed out, and the text view shows it", async () => {
    const chain = ["--assume-role", "arn:aws:iam::210987654321:role/Target", "--assume-role-session-name", "audited"]
    const result = await runMairu(home, ["credential-process", ...chain, "local", "demo"])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const printed = JSON.parse(result.stdout) as { AccessKeyId: string }

    const entry = (await audit()).find((e) => e.access_key_id === printed.AccessKeyId)!
    expect(entry).toMatchObject({
      role: "demo",
      via: "credential-process",
      outcome: "handed-out",
      assume_role: { role_arn: "arn:aws:iam::210987654321:role/Target", role_session_name: "audited" }
    })
    const text = await runMairu(home, ["audit", "--limit", "1"], { env: { NO_COLOR: "1" } })
    expect(text.stdout).toContain("local/demo → arn:aws:iam::210987654321:role/Target")
  })

  it("records refusals: a role the server forbids, as it happens", async () => {
    const follow = startMairu(home, ["audit", "--follow", "--json", "--limit", "1"])
    follow.stdin.end()
    const followed = collect(follow)
    const lines: Array<Entry> = []
    const seen = (count: number) =>
      new Promise<void>((resolve) => {
        let buffer = ""
        const onData = (chunk: Buffer) => {
          buffer += chunk.toString()
          const complete = buffer.split("\n").slice(0, -1)
          if (complete.length >= count) {
            follow.stdout.off("data", onData)
            lines.push(...complete.map((line) => JSON.parse(line) as Entry))
            resolve()
          }
        }
        follow.stdout.on("data", onData)
      })
    await seen(1)
    const next = seen(1)

    const forbidden = runChild(process.execPath, [mairuBin, "credential-process", "local", "forbidden-role"])
    const result = await forbidden.done
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("permission denied")
    await next
    follow.kill("SIGINT")
    await followed

    const entry = lines.at(-1)!
    expect(entry).toMatchObject({
      role: "forbidden-role",
      via: "credential-process",
      outcome: "refused",
      source: null,
      access_key_id: null,
      requester: { attribution: "kernel", pid: forbidden.pid }
    })
    expect(entry.error?.kind).toBe("PermissionDenied")
    expect(entry.seq).toBeGreaterThan(lines[0]!.seq)
  })

  describe.each([["fast path", {}], ["full CLI", { MAIRU_NO_FAST_PATH: "1" }]])("exec, %s", (_name, pathEnv) => {
    it("names the boto3 program behind each request to the ecs endpoint, not mairu", async () => {
      const dir = folder("python")
      const script = path.join(dir, "two-requests.py")
      fs.writeFileSync(
        script,
        `import boto3, json, os
print(json.dumps({"pid": os.getpid(), "token": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}), flush=True)
keys = [boto3.Session().get_credentials().get_frozen_credentials().access_key for _ in range(2)]
print(json.dumps({"keys": keys}))
`
      )
      const before = (await audit()).at(-1)?.seq ?? 0
      const exec = runChild(
        process.execPath,
        [mairuBin, "exec", "--server", "local", "123456789012/ReadOnly", "/usr/bin/python3", script],
        { cwd: dir, env: { ...awsEnv, ...pathEnv } }
      )
      const result = await exec.done
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      const [started, finished] = result.stdout.trim().split("\n").map((line) => JSON.parse(line))
      ecsTokens.push(started.token)

      const entries = (await audit()).filter((e) => e.seq > before)
      const ecs = entries.filter((e) => e.via === "exec-ecs")
      expect(ecs).toHaveLength(2)
      for (const entry of ecs) {
        expect(entry).toMatchObject({
          role: "123456789012/ReadOnly",
          outcome: "handed-out",
          requester: {
            attribution: "exec",
            pid: started.pid,
            cwd: dir,
            reported_by: { pid: exec.pid }
          }
        })
        expect(entry.requester.executable).toMatch(/python3/)
        expect(entry.requester.argv).toContain(script)
        expect(entry.requester.parents[0]!.pid).toBe(exec.pid)
      }
      expect(ecs.map((e) => e.access_key_id)).toEqual(finished.keys)
      expect(ecs.map((e) => e.source)).toEqual([expect.stringMatching(/^(cache|upstream)$/), "reused"])
      // What exec fetched for itself, before starting python: never passed to it.
      const own = entries.filter((e) => e.via === "exec-keep-warm")
      expect(own.map((e) => [e.requester.attribution, e.requester.pid])).toEqual([["kernel", exec.pid]])
    })
  })

  it("names the exec process for --mode static", async () => {
    const exec = runChild(process.execPath, [
      mairuBin,
      "exec",
      "--server",
      "local",
      "--mode",
      "static",
      "demo",
      "sh",
      "-c",
      "echo $AWS_ACCESS_KEY_ID"
    ])
    const result = await exec.done
    expect(result.code).toBe(0)
    const entry = (await audit(["--role", "demo"])).at(-1)!
    expect(entry).toMatchObject({
      via: "exec-static",
      outcome: "handed-out",
      access_key_id: result.stdout.trim(),
      requester: { attribution: "kernel", pid: exec.pid }
    })
    expect(entry.requester.parents[0]!.pid).toBe(process.pid)
  })

  it("records a console sign-in", async () => {
    const result = await runMairu(home, ["console", "--print", "--server", "local", "demo"], {
      env: { MAIRU_FEDERATION_ENDPOINT: `${server.url}federation` }
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain("SigninToken=")
    expect((await audit()).at(-1)).toMatchObject({ via: "console", role: "demo", outcome: "handed-out" })
  })

  describe("through a restricted socket", () => {
    let restricted: string
    let remote: MairuHome
    beforeAll(async () => {
      const dir = path.join(home.root, "forward")
      fs.mkdirSync(dir, { mode: 0o700 })
      restricted = path.join(dir, "agent.sock")
      remote = makeHome({ MAIRU_AGENT_SOCK: restricted, MAIRU_NO_AUTO_AGENT: "1" })
    })
    afterAll(() => fs.rmSync(remote.root, { recursive: true, force: true }))

    it("records the role it refuses as remote, naming the socket; and never serves the trail", async () => {
      const forward = startMairu(home, ["forward-socket", restricted, "--allow", "local/demo"])
      forward.stdin.end()
      const forwardDone = collect(forward)
      await waitForStderr(forward, /Serving local\/demo at/)

      const allowed = await runMairu(remote, ["credential-process", "local", "demo"])
      expect(allowed.code).toBe(0)
      const refused = await runMairu(remote, ["credential-process", "local", "123456789012/ReadOnly"])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain("is not allowed through this restricted socket")
      const trail = await runMairu(remote, ["audit"])
      expect(trail.code).toBe(1)
      expect(trail.stderr).toContain("reading the audit trail is not allowed through this restricted socket")
      expect(trail.stdout).toBe("")
      forward.kill("SIGINT")
      await forwardDone

      const [handedOut, refusal] = (await audit()).slice(-2)
      expect(handedOut).toMatchObject({
        role: "demo",
        outcome: "handed-out",
        requester: { attribution: "remote", socket: restricted, pid: null }
      })
      expect(refusal).toMatchObject({
        role: "123456789012/ReadOnly",
        via: "credential-process",
        outcome: "refused",
        error: { kind: "NotAllowed" },
        requester: { attribution: "remote", socket: restricted, pid: null }
      })
    })
  })

  it("filters by server, role and time, and shows one line per entry as text", async () => {
    const all = await audit()
    expect((await audit(["--role", "forbidden-role"])).map((e) => e.seq)).toEqual(
      all.filter((e) => e.role === "forbidden-role").map((e) => e.seq)
    )
    expect(await audit(["--server", "nope"])).toEqual([])
    expect((await audit(["--limit", "2"])).map((e) => e.seq)).toEqual(all.slice(-2).map((e) => e.seq))
    expect(await audit(["--since", "2099-01-01T00:00:00Z"])).toEqual([])
    expect((await audit(["--since", "1h"])).length).toBe(all.length)

    const text = await runMairu(home, ["audit", "--limit", "3"], { env: { NO_COLOR: "1" } })
    expect(text.code).toBe(0)
    const lines = text.stdout.split("\n").filter((line) => line !== "")
    expect(lines).toHaveLength(3)
    expect(text.stdout).not.toContain("\u001b")
    const bad = await runMairu(home, ["audit", "--since", "yesterday"])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("--since yesterday is neither a time ago (30m, 1h, 2d) nor a timestamp")
  })

  it("records a lapsed session as a failure", async () => {
    expect((await runMairu(home, ["logout", "local"])).code).toBe(0)
    const lapsed = runChild(process.execPath, [mairuBin, "credential-process", "local", "demo"])
    expect((await lapsed.done).code).toBe(1)
    expect((await audit()).at(-1)).toMatchObject({
      outcome: "failed",
      error: { kind: "Unauthenticated" },
      requester: { pid: lapsed.pid }
    })
  })

  it("never holds a secret, in its output or its file (mode 0600)", async () => {
    const output = (await runMairu(home, ["audit", "--json"])).stdout
    const text = (await runMairu(home, ["audit"])).stdout
    const file = fs.readFileSync(auditFile, "utf8")
    expect(fs.statSync(auditFile).mode & 0o777).toBe(0o600)
    const lines = file.split("\n").filter((line) => line !== "")
    expect(lines.length).toBe(output.split("\n").filter((line) => line !== "").length)
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty("requester")
    const { secrets } = await server.secrets()
    expect(secrets.length).toBeGreaterThan(5)
    expect(ecsTokens).toHaveLength(2)
    for (const secret of [...secrets, ...ecsTokens]) {
      expect(output).not.toContain(secret)
      expect(text).not.toContain(secret)
      expect(file).not.toContain(secret)
    }
  })
})

describe("an audit file in a folder others can write", () => {
  let other: MairuHome
  beforeAll(() => {
    other = makeHome()
    const open = path.join(other.root, "shared")
    fs.mkdirSync(open)
    fs.chmodSync(open, 0o777)
    other.env.MAIRU_AUDIT_LOG = path.join(open, "audit.jsonl")
  })
  afterAll(() => cleanupHome(other))

  it("is refused, and mairu status says so", async () => {
    expect((await runMairu(other, ["agent"])).code).toBe(0)
    const status = await runMairu(other, ["status"])
    expect(status.code).toBe(1)
    expect(status.stdout).toContain(
      `the agent does not write the audit log ${other.env.MAIRU_AUDIT_LOG} (MAIRU_AUDIT_LOG): other users can write ` +
        `its folder`
    )
    expect(fs.existsSync(other.env.MAIRU_AUDIT_LOG!)).toBe(false)
    const json = JSON.parse((await runMairu(other, ["status", "--json"])).stdout)
    expect(json.agent.audit).toMatchObject({ entries: 0, file: other.env.MAIRU_AUDIT_LOG })
  })
})
