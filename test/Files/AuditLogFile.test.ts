import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { appendLine, openAuditLog } from "../../src/Files/AuditLogFile.js"

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mairu-auditlog-")))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const folder = (name: string, mode: number) => {
  const dir = path.join(root, name)
  fs.mkdirSync(dir)
  fs.chmodSync(dir, mode)
  return dir
}

describe("the audit file", () => {
  it("is created with mode 0600 and appended to, its looser mode narrowed", () => {
    const dir = folder("private", 0o700)
    const opened = openAuditLog(path.join(dir, "audit.jsonl"))
    if (!("fd" in opened)) throw new Error(opened.problem)
    expect(appendLine(opened.fd, "one\n")).toBeUndefined()
    fs.closeSync(opened.fd)
    expect(fs.statSync(opened.path).mode & 0o777).toBe(0o600)

    fs.chmodSync(opened.path, 0o644)
    const again = openAuditLog(path.join(dir, "audit.jsonl"))
    if (!("fd" in again)) throw new Error(again.problem)
    appendLine(again.fd, "two\n")
    fs.closeSync(again.fd)
    expect(fs.readFileSync(opened.path, "utf8")).toBe("one\ntwo\n")
    expect(fs.statSync(opened.path).mode & 0o777).toBe(0o600)
  })

  it("is refused in a folder other users can write, sticky or not, and under one without the sticky bit", () => {
    const shared = folder("shared", 0o1777)
    expect(openAuditLog(path.join(shared, "audit.jsonl"))).toEqual({
      problem: `other users can write its folder ${shared} (mode 1777); use a folder of your own, e.g. ` +
        `~/.local/state/mairu, or run: chmod go-w ${shared}`
    })
    const open = folder("open", 0o777)
    const inner = path.join(open, "inner")
    fs.mkdirSync(inner, { mode: 0o700 })
    expect(openAuditLog(path.join(inner, "audit.jsonl"))).toEqual({
      problem: `other users can write the folder ${open} (mode 0777, no sticky bit), so they could replace the ` +
        `folders below it; use a folder of your own, e.g. ~/.local/state/mairu`
    })
    expect(fs.existsSync(path.join(shared, "audit.jsonl"))).toBe(false)
  })

  it("is refused as a link, a relative path, or in a folder that does not exist", () => {
    const dir = folder("links", 0o700)
    fs.symlinkSync("/dev/null", path.join(dir, "audit.jsonl"))
    expect(openAuditLog(path.join(dir, "audit.jsonl"))).toMatchObject({
      problem: expect.stringContaining("cannot open it")
    })
    expect(openAuditLog("audit.jsonl")).toEqual({ problem: "audit.jsonl is not an absolute path" })
    const missing = path.join(root, "missing")
    expect(openAuditLog(path.join(missing, "audit.jsonl"))).toEqual({
      problem: `its folder ${missing} does not exist; create it with: mkdir -p -m 700 ${missing}`
    })
  })
})
