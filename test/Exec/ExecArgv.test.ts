import { describe, expect, it } from "vitest"
import { expandShortVersion } from "../../src/Client/ShortVersion.js"
import { splitExecArgs } from "../../src/Exec/ExecArgv.js"
import { shellQuote } from "../../src/Terminal/ShellQuote.js"

describe("exec argv splitting", () => {
  it("gives everything after ROLE to the command, built-in flags included", () => {
    expect(splitExecArgs(["--server", "s", "--no-cache", "role", "cmd", "--help", "--version", "--", "-x"])).toEqual({
      mairuArgs: ["--server", "s", "--no-cache", "role"],
      command: ["cmd", "--help", "--version", "--", "-x"]
    })
  })

  it("understands --opt=value, and -- before ROLE", () => {
    expect(splitExecArgs(["--mode=static", "auto", "rails", "server"])).toEqual({
      mairuArgs: ["--mode=static", "auto"],
      command: ["rails", "server"]
    })
    expect(splitExecArgs(["--server", "s", "--", "-odd-role", "ls"])).toEqual({
      mairuArgs: ["--server", "s", "-odd-role"],
      command: ["ls"]
    })
  })

  it("takes -m's value with it, so that a mode is not taken for ROLE", () => {
    expect(splitExecArgs(["-m", "static", "role", "-m", "x"])).toEqual({
      mairuArgs: ["-m", "static", "role"],
      command: ["-m", "x"]
    })
  })

  it("reads -V as --version where it stands as an option, not as a value nor after --", () => {
    expect(expandShortVersion(["show", "-V"])).toEqual(["show", "--version"])
    expect(expandShortVersion(["-V"])).toEqual(["--version"])
    expect(expandShortVersion(["exec", "--assume-role-external-id", "-V", "-V"])).toEqual([
      "exec",
      "--assume-role-external-id",
      "-V",
      "--version"
    ])
    expect(expandShortVersion(["list-roles", "--", "-V"])).toEqual(["list-roles", "--", "-V"])
  })

  it("leaves argv to the parser when there is no ROLE (so --help works)", () => {
    expect(splitExecArgs(["--help"])).toBeUndefined()
    expect(splitExecArgs([])).toBeUndefined()
    expect(splitExecArgs(["--server", "s"])).toBeUndefined()
  })

  it("quotes words for a shell only when needed", () => {
    expect(["mairu", "a b", "it's", "--x=1", ""].map(shellQuote)).toEqual([
      "mairu",
      "'a b'",
      "'it'\\''s'",
      "--x=1",
      "''"
    ])
  })
})
