import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevServer } from "../support/devServer.js"
import { type MairuHome, runMairu } from "../support/mairu.js"
import { setUpLocal, tearDownLocal } from "../support/session.js"

let server: DevServer
let home: MairuHome
let federation: Record<string, string>

beforeAll(async () => {
  ;({ server, home } = await setUpLocal())
  federation = { MAIRU_FEDERATION_ENDPOINT: `${server.url}federation` }
})
afterAll(() => tearDownLocal({ server, home }))

/** Root can look as another user would (nobody), as a CI runner does. */
const asRoot = process.getuid?.() === 0
const asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

interface Recorded {
  argv: Array<string>
  foreign?: string
  first: { status: number; location: string | null }
  cmdlines: string
  environs: string
  second: { status: number; location: string | null; body: string }
}

/**
 * A browser for BROWSER: records its argv, tries the link as another user
 * (nobody, with curl) when it can, follows it once without going further,
 * then reads every process's command line and environment, and tries again.
 */
const writeRecordingBrowser = (name: string) => {
  const record = path.join(home.root, `${name}.json`)
  const script = path.join(home.root, `${name}.cjs`)
  fs.writeFileSync(
    script,
    `#!${process.execPath}
const fs = require("node:fs")
const { execFileSync } = require("node:child_process")
const url = process.argv[process.argv.length - 1]
const asNobody = ${JSON.stringify(asRoot ? asNobody : [])}
const readAll = (what) => fs.readdirSync("/proc").filter((p) => /^\\d+$/.test(p)).map((pid) => {
  try { return fs.readFileSync("/proc/" + pid + "/" + what, "latin1") } catch { return "" }
}).join("\\n")
;(async () => {
  const out = { argv: process.argv.slice(2) }
  if (asNobody.length > 0) {
    out.foreign = execFileSync(asNobody[0], [...asNobody.slice(1), "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url]).toString()
  }
  const first = await fetch(url, { redirect: "manual" })
  out.first = { status: first.status, location: first.headers.get("location") }
  out.cmdlines = asNobody.length > 0
    ? execFileSync(asNobody[0], [...asNobody.slice(1), "sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null; true"]).toString("latin1")
    : readAll("cmdline")
  out.environs = readAll("environ")
  const second = await fetch(url, { redirect: "manual" })
  out.second = { status: second.status, location: second.headers.get("location"), body: await second.text() }
  fs.writeFileSync(${JSON.stringify(record)}, JSON.stringify(out))
})()
`,
    { mode: 0o755 }
  )
  return { script, read: () => JSON.parse(fs.readFileSync(record, "utf8")) as Recorded }
}

/** The emulator's page for a sign-in URL: the role, the session's length and the destination. */
const signIn = async (url: string) => {
  const response = await fetch(url)
  const page = await response.text()
  expect(response.status).toBe(200)
  return {
    arn: page.match(/<code id="arn">([^<]*)</)?.[1],
    duration: Number(page.match(/<span id="duration">(\d+)</)?.[1]),
    destination: page.match(/<code id="destination">([^<]*)</)?.[1]?.replace(
      /&#(\d+);/g,
      (_m, c) => String.fromCharCode(Number(c))
    )
  }
}

describe("mairu console", () => {
  it("prints the sign-in URL with --print, for the console home as the role for an hour", async () => {
    const result = await runMairu(home, ["console", "--print", "--server", "local", "123456789012/Developer"], {
      env: federation
    })
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    const url = new URL(result.stdout.trim())
    expect(`${url.origin}${url.pathname}`).toBe(`${server.url}federation`)
    expect(url.searchParams.get("Action")).toBe("login")
    expect(url.searchParams.get("SigninToken")).toMatch(/.{20}/)
    expect(url.searchParams.get("Destination")).toBe("https://console.aws.amazon.com/")
    expect(await signIn(url.toString())).toEqual({
      arn: "arn:aws:sts::123456789012:assumed-role/Developer/alice",
      duration: 3600,
      destination: "https://console.aws.amazon.com/"
    })
  })

  it("opens a one-time loopback link through BROWSER: no sign-in token on any command line, a second visit is refused", async () => {
    const browser = writeRecordingBrowser("browser")
    const env = { ...federation, BROWSER: `mairu-test-no-such-browser:${browser.script} --new-tab %s` }
    const args = ["--region", "eu-west-1", "--destination", "s3", "--duration", "2h"]
    const result = await runMairu(home, ["console", ...args, "--server", "local", "123456789012/Developer"], { env })
    expect(result.stderr).toContain("Opened the AWS console as 123456789012/Developer (from local) in your browser.")
    expect(result.code).toBe(0)
    expect(result.stdout).toBe("")
    const seen = browser.read()
    // The first BROWSER command does not exist; the second got the link where its %s was.
    expect(seen.argv).toEqual(["--new-tab", expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{43}$/)])
    const link = seen.argv[1]!
    if (asRoot) expect(seen.foreign).toBe("403")
    expect(seen.first.status).toBe(302)
    const signin = new URL(seen.first.location!)
    expect(`${signin.origin}${signin.pathname}`).toBe(`${server.url}federation`)
    const token = signin.searchParams.get("SigninToken")!
    expect(token).toMatch(/.{20}/)
    expect(seen.argv.join(" ")).not.toContain(token)
    // Every command line (read as another user when possible) shows the link, never the token.
    expect(seen.cmdlines).toContain(link)
    expect(seen.cmdlines).not.toContain(token)
    expect(seen.cmdlines).not.toContain("SigninToken")
    expect(seen.environs).not.toContain(token)
    expect(seen.second.status).toBe(410)
    expect(seen.second.location).toBeNull()
    expect(seen.second.body).toContain("This sign-in link was already used.")
    expect(seen.second.body).not.toContain(token)
    expect(await signIn(signin.toString())).toEqual({
      arn: "arn:aws:sts::123456789012:assumed-role/Developer/alice",
      duration: 7200,
      destination: "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
    })
    // The command is gone, and its link with it.
    await expect(fetch(link)).rejects.toThrow()
  })

  it("lands on a console path or URL, in the region's partition, for the duration asked", async () => {
    const cases: Array<[Array<string>, string, number]> = [
      [
        ["--region", "us-gov-west-1", "--destination", "/ec2/home#Instances:", "--duration", "900"],
        "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1#Instances:",
        900
      ],
      [
        [
          "--destination",
          "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:",
          "--duration",
          "12h"
        ],
        "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:",
        43200
      ],
      [
        ["--region", "ap-southeast-2", "--duration", "1h30m"],
        "https://ap-southeast-2.console.aws.amazon.com/console/home?region=ap-southeast-2",
        5400
      ]
    ]
    for (const [args, destination, duration] of cases) {
      const result = await runMairu(home, [
        "console",
        "--print",
        ...args,
        "--server",
        "local",
        "123456789012/Developer"
      ], { env: federation })
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(new URL(result.stdout.trim()).searchParams.get("Destination")).toBe(destination)
      expect(await signIn(result.stdout.trim())).toMatchObject({ destination, duration })
    }
  })

  it("the federation emulator refuses a session duration AWS would refuse", async () => {
    for (const duration of ["899", "43201", "1h"]) {
      const url = new URL(`${server.url}federation`)
      url.searchParams.set("Action", "getSigninToken")
      url.searchParams.set("SessionDuration", duration)
      url.searchParams.set("Session", "{}")
      const response = await fetch(url)
      expect(response.status).toBe(400)
      expect(await response.json()).toEqual({ message: "SessionDuration must be an integer from 900 to 43200" })
    }
  })

  it("prints the URL when every BROWSER command fails", async () => {
    const env = { ...federation, BROWSER: "false:mairu-test-no-such-browser" }
    const result = await runMairu(home, ["console", "--server", "local", "123456789012/Developer"], { env })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("Open this URL within 15 minutes")
    expect((await signIn(result.stdout.trim())).arn).toBe("arn:aws:sts::123456789012:assumed-role/Developer/alice")
  })

  it("prints the URL when no browser can be opened, and uses the auto role once trusted", async () => {
    const project = path.join(home.root, "project")
    fs.mkdirSync(project, { recursive: true })
    fs.writeFileSync(
      path.join(project, ".mairu.json"),
      JSON.stringify({ server: "local", role: "demo", region: "sa-east-1" })
    )
    const refused = await runMairu(home, ["console", "auto"], { env: federation, cwd: project })
    expect(refused.code).toBe(1)
    const digest = refused.stderr.match(/mairu console --confirm-trust (\S+) auto/)![1]!
    const result = await runMairu(home, ["console", "--confirm-trust", digest, "auto"], {
      env: federation,
      cwd: project
    })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain("Open this URL within 15 minutes")
    // The file's region is the console's.
    expect(await signIn(result.stdout.trim())).toMatchObject({
      arn: expect.stringContaining("assumed-role/demo/alice"),
      destination: "https://sa-east-1.console.aws.amazon.com/console/home?region=sa-east-1"
    })
  })
})
