import { describe, expect, it } from "vitest"
import { splitExecArgs } from "../../src/Commands/ExecArgv.js"
import { shellQuote } from "../../src/Commands/ExecCommandLine.js"

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

  it("leaves argv to the parser when there is no ROLE (so --help works)", () => {
    expect(splitExecArgs(["--help"])).toBeUndefined()
    expect(splitExecArgs([])).toBeUndefined()
    expect(splitExecArgs(["--server", "s"])).toBeUndefined()
  })

  it("quotes words for a shell only when needed", () => {
    expect(["mairu", "a b", "it's", "--x=1", ""].map(shellQuote)).toEqual(["mairu", "'a b'", "'it'\\''s'", "--x=1", "''"])
  })
})
