import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "vitest"
import { trustRecordPath } from "../../src/AutoConfig/AutoFile.js"
import { autoConfigAt } from "../support/autoConfigs.js"
import { fakeCredentials, runCli } from "../support/cli.js"
import { mairuApiServer } from "../support/servers.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-auto-role-"))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const local = mairuApiServer("local")
const agent = () => Effect.succeed(fakeCredentials)
const FILE = "/work/project/.mairu.json"

describe("exec auto and the trust in a .mairu.json", () => {
  it.effect("refuses an untrusted file without a terminal and names the approving command; its digest approves it", () =>
    Effect.gen(function*() {
      const home = fs.mkdtempSync(path.join(root, "home-"))
      const auto = autoConfigAt(FILE, { server: "local", role: "123456789012/Developer" })
      const options = { agent, servers: [local], auto, home, trusted: "disk" as const }
      const refused = yield* runCli(["exec", "auto", "sh", "-c", "echo ran"], options)
      expect(refused.code).toBe(1)
      expect(refused.ran).toEqual([])
      expect(refused.messages).toEqual([
        `${FILE} asks mairu for credentials:\n  server: local\n  role:   123456789012/Developer`,
        `${FILE} is not trusted yet and there is no terminal to ask on; review it, then run:\n` +
        `  mairu exec --confirm-trust ${auto.digest} auto sh -c 'echo ran'`
      ])
      expect(refused.requests).toEqual([])

      const wrong = "x" + auto.digest.slice(1)
      const mismatch = yield* runCli(["exec", "--confirm-trust", wrong, "auto", "true"], options)
      expect(mismatch.code).toBe(1)
      expect(mismatch.ran).toEqual([])
      expect(mismatch.messages).toEqual([
        `--confirm-trust ${wrong} does not match ${FILE} as it is now (it may have changed); review the file, then run:\n` +
        `  mairu exec --confirm-trust ${auto.digest} auto true`
      ])

      const approved = yield* runCli(["exec", "--confirm-trust", auto.digest, "auto", "sh", "-c", "echo ran"], options)
      expect(approved.code).toBe(0)
      expect(approved.ran.map((ran) => ran.command)).toEqual([["sh", "-c", "echo ran"]])
      const record = trustRecordPath(path.join(home, ".local", "state", "mairu", "trust"), FILE)
      expect(fs.statSync(record).mode & 0o777).toBe(0o600)
      expect(JSON.parse(fs.readFileSync(record, "utf8"))).toMatchObject({
        path: FILE,
        trust: true,
        digest: { type: "Sha384", hash: Buffer.from(auto.digest, "base64url").toString("base64") }
      })
      // The record approves it from now on; a changed file is asked about again.
      const again = yield* runCli(["exec", "auto", "true"], options)
      expect([again.code, again.messages]).toEqual([0, []])
      const changed = autoConfigAt(FILE, { server: "local", role: "123456789012/ReadOnly" })
      const refusedAgain = yield* runCli(["exec", "auto", "true"], { ...options, auto: changed })
      expect(refusedAgain.code).toBe(1)
      expect(refusedAgain.messages.at(-1)).toContain(`--confirm-trust ${changed.digest} auto true`)
    }))

  it.effect("asks on a terminal, quoting what the file asks for, and runs nothing unless the answer is yes", () =>
    Effect.gen(function*() {
      const auto = autoConfigAt(FILE, {
        server: "local",
        role: "demo",
        mode: "static",
        region: "eu-west-1",
        assume_role: { role_arn: "arn:aws:iam::1:role/x" }
      })
      const no = yield* runCli(["exec", "auto", "true"], { agent, servers: [local], auto, answers: ["no"] })
      expect(no.prompts).toEqual(["Trust this file? (yes/no) "])
      expect(no.messages).toEqual([
        `${FILE} asks mairu for credentials:\n  server: local\n  role:   demo\n  mode:   static\n  region: eu-west-1\n` +
        "  then assume: arn:aws:iam::1:role/x",
        `${FILE} was not trusted; the command was not run`
      ])
      expect([no.code, no.ran]).toEqual([1, []])
      const trusted = new Set<string>()
      const yes = yield* runCli(["exec", "auto", "true"], { agent, servers: [local], auto, answers: ["YES"], trusted })
      expect(yes.code).toBe(0)
      expect(trusted).toEqual(new Set([auto.digest]))
      expect(yes.requests.find((request) => request._tag === "GetCredentials")).toMatchObject({
        server: "local",
        role: "demo",
        assumeRole: { roleArn: "arn:aws:iam::1:role/x" }
      })
    }))

  it.effect("uses the file's server, role, mode and region; --server and --mode win, MAIRU_SERVER does not", () =>
    Effect.gen(function*() {
      const other = mairuApiServer("other", "https://other.example/")
      const auto = autoConfigAt(FILE, { server: "local", role: "demo", mode: "static", region: "eu-west-1" })
      const options = { agent, servers: [local, other], auto, trusted: new Set([auto.digest]) }
      const fromFile = yield* runCli(["exec", "--show-auto", "auto", "true"], {
        ...options,
        env: { MAIRU_SERVER: "other" }
      })
      expect(fromFile.code).toBe(0)
      expect(fromFile.messages).toEqual([`auto: server local, role demo (from ${FILE})`])
      expect(fromFile.ran[0]!.env).toMatchObject({ AWS_ACCESS_KEY_ID: "ASIAEXAMPLE", AWS_REGION: "eu-west-1" })
      const flagged = yield* runCli(["exec", "--server", "other", "--mode", "ecs", "auto", "true"], options)
      expect(flagged.requests.find((request) => request._tag === "GetCredentials")).toMatchObject({ server: "other" })
      expect(flagged.ran[0]!.env.AWS_CONTAINER_CREDENTIALS_FULL_URI).toBe("http://127.0.0.1:1/test-endpoint")
      expect(flagged.ran[0]!.env.AWS_ACCESS_KEY_ID).toBeUndefined()
      const shown = yield* runCli(["exec", "auto", "true"], { ...options, env: { MAIRU_SHOW_AUTO_ROLE: "1" } })
      expect(shown.messages).toEqual([`auto: server local, role demo (from ${FILE})`])
    }))

  it.effect("says where it looked when there is no .mairu.json", () =>
    Effect.gen(function*() {
      const run = yield* runCli(["exec", "auto", "true"], { agent, servers: [local] })
      expect(run.code).toBe(1)
      expect(run.messages).toEqual([
        `no .mairu.json in ${process.cwd()} or any folder above it; create one, or name a role instead of auto`
      ])
    }))

  it.effect("refuses chaining details without a role to assume, on credential-process and exec", () =>
    Effect.gen(function*() {
      for (
        const argv of [
          ["credential-process", "--assume-role-external-id", "x", "local", "demo"],
          ["exec", "--server", "local", "--assume-role-session-name", "me", "demo", "true"]
        ]
      ) {
        const run = yield* runCli(argv, { agent, servers: [local] })
        expect({ argv, code: run.code, messages: run.messages }).toEqual({
          argv,
          code: 1,
          messages: [
            "--assume-role-session-name, --assume-role-duration-seconds and --assume-role-external-id need --assume-role ARN"
          ]
        })
      }
      const tooLong = yield* runCli(
        [
          "credential-process",
          "--assume-role",
          "arn:aws:iam::1:role/x",
          "--assume-role-duration-seconds",
          "50000",
          "l",
          "r"
        ],
        { agent }
      )
      expect(tooLong.messages).toEqual(["--assume-role-duration-seconds 50000 is not within 900 to 43200"])
    }))
})
