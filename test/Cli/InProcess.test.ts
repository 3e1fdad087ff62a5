import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { NotFound, Unauthenticated } from "../../src/Schemas/AgentErrors.js"
import { VERSION } from "../../src/Version.js"
import { fakeCredentials, runCli } from "../support/cli.js"
import { mairuApiServer } from "../support/servers.js"

const local = mairuApiServer("local")
const other = mairuApiServer("other", "https://other.example/")

describe("the CLI in process", () => {
  it.effect("credential-process prints the credential_process JSON from the agent's answer", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["credential-process", "local", "123456789012/Dev"], {
        servers: [local],
        agent: () => Effect.succeed(fakeCredentials)
      })
      expect(run.code).toBe(0)
      expect(JSON.parse(run.products.join(""))).toEqual({
        Version: 1,
        AccessKeyId: "ASIAEXAMPLE",
        SecretAccessKey: "secret",
        SessionToken: "token",
        Expiration: "2030-01-01T00:00:00Z"
      })
      expect(run.requests.map((r) => r._tag)).toEqual(["GetCredentials"])
      expect(run.requests[0]).toMatchObject({ server: "local", role: "123456789012/Dev" })
    }))

  it.effect("credential-process without a session says which login to run, and prints nothing", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["credential-process", "local", "123456789012/Dev"], {
        servers: [local],
        agent: () => Effect.fail(new Unauthenticated({ serverId: "local", message: "not logged in to local" }))
      })
      expect(run.code).toBe(1)
      expect(run.products).toEqual([])
      expect(run.messages).toEqual(["not logged in to local. Log in with: mairu login local"])
    }))

  it.effect("credential-process needs both SERVER and ROLE", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["credential-process", "local"], { servers: [local] })
      expect(Exit.isFailure(run.exit)).toBe(true)
      expect(run.requests).toEqual([])
    }))

  it.effect("exec with a role but no server asks for --server or MAIRU_SERVER", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["exec", "123456789012/Dev", "true"], { servers: [local] })
      expect(run.code).toBe(1)
      expect(run.messages.join("\n")).toContain(
        "which server should give 123456789012/Dev? Pass --server SERVER (or set MAIRU_SERVER), or use the role auto"
      )
      expect(run.requests).toEqual([])
    }))

  it.effect("exec takes the server from MAIRU_SERVER, and --server beats it", () =>
    Effect.gen(function*() {
      const servers = [local, other]
      const unknownRole = () => Effect.fail(new Unauthenticated({ serverId: "x", message: "stop here" }))
      const fromEnv = yield* runCli(["exec", "--no-login", "R", "true"], {
        servers,
        env: { MAIRU_SERVER: "other" },
        agent: unknownRole
      })
      const fromFlag = yield* runCli(["exec", "--no-login", "--server", "local", "R", "true"], {
        servers,
        env: { MAIRU_SERVER: "other" },
        agent: unknownRole
      })
      const serverOf = (run: typeof fromEnv) =>
        run.requests.filter((r) => r._tag === "GetCredentials").map((r) => r._tag === "GetCredentials" ? r.server : "")
      expect(serverOf(fromEnv)).toEqual(["other"])
      expect(serverOf(fromFlag)).toEqual(["local"])
      expect(fromFlag.messages.join("\n")).toContain("cannot run true: no credentials for R from local")
    }))

  it.effect("an unknown server is named in the error", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["credential-process", "nowhere", "R"], {
        servers: [local],
        agent: () =>
          Effect.fail(new NotFound({ message: "no server \"nowhere\" is configured in the agent's configuration" }))
      })
      expect(run.code).toBe(1)
      expect(run.messages).toEqual([`no server "nowhere" is configured in the agent's configuration`])
    }))

  it.effect("-V and -h print the version and the command's help on every command, and do nothing else", () =>
    Effect.gen(function*() {
      const commands = [
        "exec",
        "credential-process",
        "login",
        "logout",
        "list-sessions",
        "list-roles",
        "refresh",
        "agent",
        "kill-agent",
        "forward-socket",
        "show",
        "setup-sso",
        "status",
        "console"
      ]
      for (const command of commands) {
        const version = yield* runCli([command, "-V"], { running: false })
        expect({ command, code: version.code, printed: version.printed.join("").trim() }).toEqual({
          command,
          code: 0,
          printed: VERSION
        })
        const help = yield* runCli([command, "-h"], { running: false })
        expect({ command, code: help.code }).toEqual({ command, code: 0 })
        expect(help.printed.join("\n")).toContain(`$ ${command}`)
        expect([...version.requests, ...help.requests, ...version.messages, ...help.messages]).toEqual([])
      }
      // --server says where its default comes from.
      const help = (yield* runCli(["exec", "-h"])).printed.join("\n")
      expect(help).toContain("Server id or url (default: $MAIRU_SERVER; with auto: the file's server)")
      expect(help).toContain("This option can be set from environment variables.")
      // After exec's ROLE, they belong to the command.
      const exec = yield* runCli(["exec", "--server", "local", "R", "sh", "-h", "-V"], {
        servers: [local],
        agent: () => Effect.succeed(fakeCredentials)
      })
      expect(exec.code).toBe(0)
      expect(exec.ran.map((ran) => ran.command)).toEqual([["sh", "-h", "-V"]])
    }))
})
