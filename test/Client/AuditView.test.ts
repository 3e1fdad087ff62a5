import { describe, expect, it } from "vitest"
import { jsonLine, matches, parseSince, textLines } from "../../src/Client/AuditView.js"
import type { AuditEntry } from "../../src/Schemas/Audit.js"

const at = Date.parse("2026-05-01T12:00:00Z")

const entry = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  seq: 1,
  time: new Date(at),
  server: "acme",
  role: "ReadOnly",
  assumeRole: undefined,
  via: "credential-process",
  outcome: "handed-out",
  source: "cache",
  accessKeyId: "ASIAEXAMPLE",
  error: undefined,
  requester: {
    attribution: "kernel",
    process: {
      pid: 4242,
      uid: 1000,
      executable: "/usr/bin/node",
      argv: "node /usr/lib/mairu credential-process acme ReadOnly",
      cwd: "/home/alice/app",
      parents: [{ pid: 4200, command: "aws" }, { pid: 4100, command: "bash" }],
      problem: undefined
    },
    reportedBy: undefined,
    socket: undefined,
    reason: undefined
  },
  ...overrides
})

describe("the audit view", () => {
  it("takes --since as a time ago or a timestamp", () => {
    expect(parseSince("90m", at)).toEqual(new Date(at - 90 * 60_000))
    expect(parseSince("2d", at)).toEqual(new Date(at - 2 * 86_400_000))
    expect(parseSince("1h30m", at)).toEqual(new Date(at - 5_400_000))
    expect(parseSince("2026-04-30T08:00:00Z", at)).toEqual(new Date("2026-04-30T08:00:00Z"))
    expect(parseSince("yesterday", at)).toBeUndefined()
    expect(parseSince("", at)).toBeUndefined()
  })

  it("filters by server, role and time", () => {
    const filter = { server: "acme", role: undefined, since: new Date(at - 1) }
    expect(matches(filter)(entry())).toBe(true)
    expect(matches(filter)(entry({ server: "other" }))).toBe(false)
    expect(matches(filter)(entry({ time: new Date(at - 2) }))).toBe(false)
    expect(matches({ ...filter, role: "Admin" })(entry())).toBe(false)
  })

  it("prints one line per entry in columns, refusals with their reason at the end", () => {
    const lines = textLines([
      entry(),
      entry({
        seq: 2,
        role: "Admin",
        via: "exec-ecs",
        outcome: "refused",
        source: undefined,
        accessKeyId: undefined,
        error: { kind: "NotAllowed", message: "role Admin of acme is not allowed" },
        requester: {
          attribution: "remote",
          process: undefined,
          reportedBy: undefined,
          socket: "/run/f.sock",
          reason: undefined
        }
      })
    ], true).split("\n")
    expect(lines[0]).toBe(
      "2026-05-01 12:00:00 UTC  acme/ReadOnly  credential-process  cache    4242    " +
        "/home/alice/app  node /usr/lib/mairu credential-process acme ReadOnly ← aws ← bash"
    )
    expect(lines[1]).toBe(
      "2026-05-01 12:00:00 UTC  acme/Admin     exec-ecs            REFUSED  remote  " +
        "through /run/f.sock  — NotAllowed: role Admin of acme is not allowed"
    )
  })

  it("prints JSON lines with snake_case fields", () => {
    expect(JSON.parse(jsonLine(entry()))).toEqual({
      seq: 1,
      time: "2026-05-01T12:00:00.000Z",
      server: "acme",
      role: "ReadOnly",
      assume_role: null,
      via: "credential-process",
      outcome: "handed-out",
      source: "cache",
      access_key_id: "ASIAEXAMPLE",
      error: null,
      requester: {
        attribution: "kernel",
        pid: 4242,
        uid: 1000,
        executable: "/usr/bin/node",
        argv: "node /usr/lib/mairu credential-process acme ReadOnly",
        cwd: "/home/alice/app",
        parents: [{ pid: 4200, command: "aws" }, { pid: 4100, command: "bash" }],
        problem: null,
        reported_by: null,
        socket: null,
        reason: null
      }
    })
  })
})
