import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { credentialProcessLine, shellWord } from "../../src/Client/CredentialProcessLine.js"
import { repoRoot } from "../support/mairu.js"

const exec = promisify(execFile)

/** Words that mean something to sh, to shlex or to an INI reader. */
const TRICKY = [
  "it's a role",
  "team #1; ops",
  "a;b#c",
  "say \"hi\"",
  "back\\slash",
  "\\'",
  "\\n",
  "$HOME `id` $(id)",
  "*?[a]",
  "~user",
  "{a,b}",
  "trailing ",
  " leading",
  "two  spaces",
  "'",
  "''",
  "\"",
  "#",
  ";",
  " #x",
  "x\u00a0#y",
  "=x",
  "x=y:z",
  "%(x)s",
  "!bang",
  "ünïcødé 役割",
  "123456789012/AdministratorAccess"
]

/**
 * The Go SDK v2's INI reading of a property's value (aws-sdk-go-v2 internal/ini): a `#` or `;`
 * after a space or tab starts a comment, and a value both starting and ending with a quote loses both.
 */
const goIniValue = (raw: string) => {
  let value = raw
  for (const delimiter of [" #", " ;", "\t#", "\t;"]) value = value.split(delimiter)[0]!
  value = value.trim()
  return /^'.*'$|^".*"$/s.test(value) ? value.slice(1, -1) : value
}

let dir: string
/** A program, under a folder whose name needs quoting, that prints its argv as a credential_process answer. */
let probe: string

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-quoting-"))
  const folder = path.join(dir, "a folder's #1")
  fs.mkdirSync(folder)
  probe = path.join(folder, "argv probe.cjs")
  fs.writeFileSync(
    probe,
    `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: JSON.stringify(process.argv.slice(2)), SecretAccessKey: "s" }))\n`
  )
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("credential_process quoting", () => {
  it("leaves plain words alone and quotes the rest from their first special character", () => {
    expect(credentialProcessLine(["/usr/bin/node", "/opt/mairu/dist/mairu.cjs", "credential-process", "local", "a/B"]))
      .toBe("/usr/bin/node /opt/mairu/dist/mairu.cjs credential-process local a/B")
    expect(shellWord("/Users/Jo Doe/bin/node")).toBe("/Users/Jo' Doe/bin/node'")
    expect(shellWord("it's a role")).toBe(`it"'"'s a role'`)
    expect(shellWord("team #1; ops")).toBe("team' ''#1; ops'")
    expect(shellWord("")).toBe("''")
    // No backslash of its own: old Go SDK releases rewrote \' and \" in values.
    for (const word of TRICKY) expect(shellWord(word.replaceAll("\\", ""))).not.toContain("\\")
  })

  it("gives sh, shlex and the Go SDK's INI reading the very argv, for every tricky word", async () => {
    const argv = [process.execPath, probe, ...TRICKY]
    const line = credentialProcessLine(argv)
    expect(goIniValue(line)).toBe(line)
    const viaSh = await exec("/bin/sh", ["-c", line], { env: {} })
    expect(JSON.parse(JSON.parse(viaSh.stdout).AccessKeyId)).toEqual(TRICKY)
    const viaShlex = await exec("/usr/bin/python3", [
      "-c",
      "import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))",
      line
    ])
    expect(JSON.parse(viaShlex.stdout)).toEqual(argv)
  })

  it("runs the very argv from a config file read by the AWS CLI, boto3 and the AWS SDK for JavaScript", async () => {
    const config = path.join(dir, "config")
    fs.writeFileSync(
      config,
      TRICKY.map((word, i) =>
        `[profile p${i}]\ncredential_process = ${credentialProcessLine([process.execPath, probe, word])}\n`
      )
        .join("\n")
    )
    const env = { PATH: "/nonexistent", HOME: dir, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: "/dev/null" }
    const boto = await exec("/usr/bin/python3", [
      "-c",
      "import boto3, json, sys\n" +
      "print(json.dumps([boto3.Session(profile_name=f'p{i}').get_credentials().access_key for i in range(int(sys.argv[1]))]))",
      String(TRICKY.length)
    ], { env })
    expect((JSON.parse(boto.stdout) as Array<string>).map((key) => JSON.parse(key))).toEqual(TRICKY.map((w) => [w]))
    const js = await exec(process.execPath, [
      "--input-type=module",
      "-e",
      `import { createRequire } from "node:module"
const { fromIni } = createRequire(${
        JSON.stringify(path.join(repoRoot, "package.json"))
      })("@aws-sdk/credential-providers")
const keys = []
for (let i = 0; i < ${TRICKY.length}; i++) keys.push((await fromIni({ profile: "p" + i })()).accessKeyId)
console.log(JSON.stringify(keys))`
    ], { env })
    expect((JSON.parse(js.stdout) as Array<string>).map((key) => JSON.parse(key))).toEqual(TRICKY.map((w) => [w]))
    // The AWS CLI: one process per profile, so a few of the words.
    for (const i of [0, 1, 3, 7, 20]) {
      const cli = await exec("/usr/bin/aws", ["configure", "export-credentials", "--profile", `p${i}`], { env })
      expect(JSON.parse(JSON.parse(cli.stdout).AccessKeyId)).toEqual([TRICKY[i]])
    }
  })
})
