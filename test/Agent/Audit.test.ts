import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { makeSharing } from "../../src/Agent/AuditTrail.js"
import { withoutSecretsOf } from "../../src/Agent/HandOuts.js"
import { AuditLive } from "../../src/Agent/Layers/AuditLive.js"
import { parsePatterns, restrictHandle } from "../../src/Agent/Restricted.js"
import { Audit, MAX_AUDIT_ENTRIES } from "../../src/Agent/Services/Audit.js"
import { CredentialBackend } from "../../src/Agent/Services/CredentialBackend.js"
import { Credentials } from "../../src/Agent/Services/Credentials.js"
import { Logins } from "../../src/Agent/Services/Logins.js"
import { RoleRefresher } from "../../src/Agent/Services/RoleRefresher.js"
import { Sessions } from "../../src/Agent/Services/Sessions.js"
import { SessionStore } from "../../src/Agent/Services/SessionStore.js"
import { SsoRegistrations } from "../../src/Agent/Services/SsoRegistrations.js"
import type { AgentError } from "../../src/Schemas/AgentErrors.js"
import { GetCredentials, ReadAudit, RecordHandOuts } from "../../src/Schemas/AgentProtocol.js"
import type { AuditEntry, ReportedRequester, Requester } from "../../src/Schemas/Audit.js"
import { agentHandle, agentServersDir, ask, stayingClient } from "../support/agent.js"
import { settingsFrom } from "../support/settings.js"

const handlersOn = () => {
  const recorded: Array<AuditEntry> = []
  const layer = Layer.mergeAll(
    Credentials.layerTest(),
    RoleRefresher.layerTest(),
    Logins.Test,
    Sessions.layerTest(),
    SessionStore.layerTest(),
    CredentialBackend.layerTest(),
    SsoRegistrations.Test,
    Audit.layerTest({ recorded })
  )
  return { layer, recorded }
}

const withHandle = <A, E, R>(
  use: (handle: Effect.Effect.Success<ReturnType<typeof agentHandle>>["handle"]) => Effect.Effect<A, E, R>
) =>
  Effect.flatMap(agentServersDir, (serversDir) => Effect.flatMap(agentHandle(serversDir), ({ handle }) => use(handle)))

const credentialsFor = (role: string, extra: { requester?: ReportedRequester; server?: string } = {}) =>
  new GetCredentials({
    server: extra.server ?? "local",
    role,
    assumeRole: undefined,
    noCache: false,
    via: "credential-process",
    ...(extra.requester === undefined ? {} : { requester: extra.requester })
  })

const python: ReportedRequester = {
  _tag: "Process",
  process: {
    pid: 4242,
    uid: 1000,
    executable: "/usr/bin/python3.11",
    argv: "python3 app.py \u001b[2J",
    cwd: "/home/u/app",
    parents: [{ pid: 4200, command: "mairu" }],
    problem: undefined
  }
}

const entry = (seq: number): Omit<AuditEntry, "seq"> => ({
  time: new Date(seq * 1000),
  server: "local",
  role: `Role${seq}`,
  assumeRole: undefined,
  via: "credential-process",
  outcome: "handed-out",
  source: "cache",
  accessKeyId: `AKID${seq}`,
  error: undefined,
  requester: { attribution: "unknown", process: undefined, reportedBy: undefined, socket: undefined, reason: "test" }
})

describe("the audit trail", () => {
  it.scoped("records a hand-out with the process the kernel named, described while it asked", () => {
    const sim = handlersOn()
    return withHandle((handle) =>
      Effect.gen(function*() {
        const credentials = yield* ask(handle, credentialsFor("Admin"))
        expect(sim.recorded).toHaveLength(1)
        expect(sim.recorded[0]).toMatchObject({
          seq: 1,
          server: "local",
          role: "Admin",
          via: "credential-process",
          outcome: "handed-out",
          source: "upstream",
          accessKeyId: credentials.accessKeyId,
          requester: {
            attribution: "kernel",
            process: { pid: process.pid, cwd: process.cwd(), executable: fs.realpathSync(process.execPath) }
          }
        })
        expect(sim.recorded[0]!.requester.process!.parents[0]!.pid).toBe(process.ppid)
      })
    ).pipe(Effect.provide(sim.layer))
  })

  it.scoped("records failures, and what exec reports under the process the kernel named", () => {
    const sim = handlersOn()
    return withHandle((handle) =>
      Effect.gen(function*() {
        const unknown = yield* Effect.flip(ask(handle, credentialsFor("R", { server: "nope" })))
        expect(unknown._tag).toBe("NotFound")
        expect(sim.recorded[0]).toMatchObject({
          server: "nope",
          outcome: "failed",
          source: undefined,
          accessKeyId: undefined,
          error: { kind: "NotFound" }
        })

        yield* ask(handle, credentialsFor("Admin", { requester: python }))
        expect(sim.recorded[1]!.requester).toMatchObject({
          attribution: "exec",
          process: { pid: 4242, argv: "python3 app.py \\u001b[2J" },
          reportedBy: { pid: process.pid }
        })

        const unattributed = { ...stayingClient, peer: { _tag: "Unknown", reason: "no native helper" } as const }
        yield* ask(handle, credentialsFor("Admin"), unattributed)
        expect(sim.recorded[2]!.requester).toMatchObject({ attribution: "unknown", reason: "no native helper" })
        expect(sim.recorded[2]!.outcome).toBe("handed-out")

        yield* ask(
          handle,
          new RecordHandOuts({
            server: "local",
            role: "Admin",
            assumeRole: undefined,
            handOuts: [{ at: new Date(5_000), accessKeyId: "AKID-Admin-2", requester: python }],
            unrecorded: 0
          })
        )
        expect(sim.recorded[3]).toMatchObject({
          time: new Date(5_000),
          via: "exec-ecs",
          source: "reused",
          accessKeyId: "AKID-Admin-2",
          requester: { attribution: "exec", process: { pid: 4242 } }
        })

        const read = yield* ask(handle, new ReadAudit({ after: 1, wait: false }))
        expect(read.entries.map((e) => e.seq)).toEqual([2, 3, 4])
        expect(read.more).toBe(false)
      })
    ).pipe(Effect.provide(sim.layer))
  })

  it.scoped("through a restricted socket: refusals are recorded, the trail is never served", () => {
    const sim = handlersOn()
    return withHandle((handle) =>
      Effect.gen(function*() {
        const refused: Array<[string, AgentError]> = []
        const patterns = parsePatterns(["local/Read*"])
        if (!Array.isArray(patterns)) throw new Error("bad patterns")
        const restricted = restrictHandle(handle, patterns, {
          allowLogin: false,
          refused: (request, _context, error) => Effect.sync(() => void refused.push([request.role, error]))
        })
        const remote = { ...stayingClient, peer: { _tag: "Remote", socket: "/run/fwd.sock" } as const }
        const denied = yield* Effect.flip(restricted(credentialsFor("Admin"), remote))
        expect(denied._tag).toBe("NotAllowed")
        const otherServer = yield* Effect.flip(restricted(credentialsFor("ReadOnly", { server: "nope" }), remote))
        expect(refused.map(([role, error]) => [role, error._tag])).toEqual([["Admin", "NotAllowed"], [
          "ReadOnly",
          "NotAllowed"
        ]])
        expect(otherServer._tag).toBe("NotAllowed")

        yield* restricted(credentialsFor("ReadOnly"), remote)
        expect(sim.recorded.at(-1)!.requester).toMatchObject({ attribution: "remote", socket: "/run/fwd.sock" })

        const trail = yield* Effect.flip(restricted(new ReadAudit({ after: 0, wait: false }), remote))
        expect(trail.message).toContain("reading the audit trail is not allowed through this restricted socket")
        const record = new RecordHandOuts({
          server: "local",
          role: "Admin",
          assumeRole: undefined,
          handOuts: [],
          unrecorded: 0
        })
        expect((yield* Effect.flip(restricted(record, remote)))._tag).toBe("NotAllowed")
      })
    ).pipe(Effect.provide(sim.layer))
  })

  it.scoped(`keeps the last ${MAX_AUDIT_ENTRIES} entries, read a page at a time`, () =>
    Effect.gen(function*() {
      const audit = yield* Audit
      for (let seq = 1; seq <= MAX_AUDIT_ENTRIES + 1; seq++) yield* audit.record(entry(seq))
      const held: Array<AuditEntry> = []
      let after = 0
      for (let more = true; more;) {
        const page = yield* audit.read(after, false)
        held.push(...page.entries)
        after = page.entries.at(-1)?.seq ?? after
        more = page.more
      }
      expect(held).toHaveLength(MAX_AUDIT_ENTRIES)
      expect(held[0]).toMatchObject({ seq: 2, role: "Role2" })
      expect(held.at(-1)).toMatchObject({ seq: MAX_AUDIT_ENTRIES + 1 })
      expect(held.every((e, i) => i === 0 || e.seq === held[i - 1]!.seq + 1)).toBe(true)
      expect(yield* audit.status).toEqual({ entries: MAX_AUDIT_ENTRIES, file: undefined, problem: undefined })
    }).pipe(Effect.provide(AuditLive.pipe(Layer.provide(settingsFrom())))))

  it.scoped("lets a reader wait for the next entry; a cursor from before a restart reads from the start", () =>
    Effect.gen(function*() {
      const audit = yield* Audit
      yield* audit.record(entry(1))
      const waiting = yield* Effect.fork(audit.read(1, true))
      yield* Effect.yieldNow()
      expect(yield* Fiber.poll(waiting)).toEqual(expect.objectContaining({ _tag: "None" }))
      yield* audit.record(entry(2))
      expect((yield* Fiber.join(waiting)).entries.map((e) => e.role)).toEqual(["Role2"])
      expect((yield* audit.read(99, false)).entries.map((e) => e.seq)).toEqual([1, 2])
    }).pipe(Effect.provide(Audit.layerTest())))

  it.scoped("appends each entry to MAIRU_AUDIT_LOG as a JSON line", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-audit-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const file = path.join(dir, "audit.jsonl")
      yield* Effect.gen(function*() {
        const audit = yield* Audit
        yield* audit.record(entry(1))
        yield* audit.record({ ...entry(2), outcome: "refused", error: { kind: "NotAllowed", message: "no" } })
        expect(yield* audit.status).toEqual({ entries: 2, file, problem: undefined })
      }).pipe(Effect.provide(AuditLive.pipe(Layer.provide(settingsFrom({ MAIRU_AUDIT_LOG: file })))))
      const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line))
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      expect(lines.map((line) => [line.seq, line.access_key_id, line.outcome, line.error])).toEqual([
        [1, "AKID1", "handed-out", null],
        [2, "AKID2", "refused", { kind: "NotAllowed", message: "no" }]
      ])
      expect(lines[0].requester).toMatchObject({ attribution: "unknown", pid: null, reason: "test" })
    }))

  it("keeps one copy of what entries repeat, and each entry says what it was given", () => {
    const compact = makeSharing()
    const asked = (pid: number): Omit<AuditEntry, "seq"> => ({
      ...entry(1),
      requester: {
        attribution: "kernel",
        process: {
          ...(python as Extract<ReportedRequester, { _tag: "Process" }>).process,
          pid,
          parents: [{ pid: 4200, command: "mairu" }, { pid: 1, command: "init" }]
        },
        reportedBy: { pid: 77, command: "mairu" },
        socket: undefined,
        reason: undefined
      }
    })
    const [first, second] = [asked(10), asked(11)]
    const kept = [compact(first), compact(second)]
    expect(kept).toEqual([first, second])
    expect(kept[1]!.requester.process!.parents).toBe(kept[0]!.requester.process!.parents)
    expect(kept[1]!.requester.reportedBy).toBe(kept[0]!.requester.reportedBy)
    // Each parent is shared on its own too: another chain through the same processes reuses them.
    const deeper = asked(12)
    const longer = compact({
      ...deeper,
      requester: {
        ...deeper.requester,
        process: {
          ...deeper.requester.process!,
          parents: [{ pid: 12, command: "sh" }, ...first.requester.process!.parents]
        }
      }
    })
    expect(longer.requester.process!.parents[1]).toBe(kept[0]!.requester.process!.parents[0])
    // Bounded: past its limit it starts afresh, and still says the same.
    for (let seq = 0; seq < 5000; seq++) expect(compact(entry(seq))).toEqual(entry(seq))
    expect(compact(first)).toEqual(first)
  })

  it("removes the credentials it hands out from the text a requester chose", () => {
    const requester: Requester = {
      attribution: "kernel",
      process: {
        ...(python as Extract<ReportedRequester, { _tag: "Process" }>).process,
        argv: "x --key SECRETKEY --token TOKENVALUE",
        cwd: "/tmp/SECRETKEY"
      },
      reportedBy: undefined,
      socket: undefined,
      reason: undefined
    }
    const credentials = {
      accessKeyId: "AKID",
      secretAccessKey: Redacted.make("SECRETKEY"),
      sessionToken: Redacted.make("TOKENVALUE"),
      expiration: undefined,
      noCache: false
    }
    expect(withoutSecretsOf(requester, credentials).process).toMatchObject({
      argv: "x --key <redacted> --token <redacted>",
      cwd: "/tmp/<redacted>"
    })
  })
})
