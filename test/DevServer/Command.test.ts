import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { devServerBin, startDevServer } from "../support/devServer.js"
import { cleanupHome, collect, makeHome, repoRoot } from "../support/mairu.js"
import { loginByDevice } from "../support/session.js"
import { scriptInTerminal } from "../support/terminal.js"

/** Runs the dev server in pipes until it exits by itself. */
const runDevServer = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env) =>
  collect(spawn(process.execPath, [devServerBin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] }), 15_000)

const readyLine = (url: string) => JSON.stringify({ url, clientId: "mairu-dev", stsEndpoint: `${url}sts/` })

const serverFileFor = (url: string, id = "local") => ({
  id,
  url,
  oauth: { client_id: "mairu-dev", code_grant: {}, device_code_grant: {} }
})

const serversDir = (configDir: string) => path.join(configDir, "mairu", "servers.d")

/** How `child` exits; the test fails when it is still running `deadlineMs` after this is called. */
const exitWithin = (child: ChildProcess, deadlineMs: number) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running ${deadlineMs} ms after the signal`)), deadlineMs)
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal })
    })
  })

const USAGE = "see: npm run devserver -- --help"

describe("the dev server's command line", () => {
  it.each(["--help", "-h"])(
    "%s prints what the server is, every option with its default, and a servers.d file for it",
    async (flag) => {
      const home = makeHome()
      try {
        const { code, stdout, stderr } = await runDevServer([flag], home.env)
        expect({ code, stderr }).toEqual({ code: 0, stderr: "" })
        expect(stdout).toMatch(/^The bundled local credential server: try mairu without an identity provider/)
        const options = [...stdout.matchAll(/^ {2}(-\S.*?) {2,}(.*)$/gm)].map(([, option, description]) => ({
          option,
          fallback: /\(default: (.*)\)$/.exec(description!)?.[1]
        }))
        expect(options).toEqual([
          { option: "--port PORT", fallback: "0" },
          { option: "--credential-ttl SECONDS", fallback: "3600" },
          { option: "--access-token-ttl SECONDS", fallback: "3600" },
          { option: "--refresh-token-ttl SECONDS", fallback: "86400" },
          { option: "--sso-client-ttl SECONDS", fallback: "7776000" },
          { option: "--sso-access-token-ttl SECONDS", fallback: "3600" },
          { option: "--write-server-file ID", fallback: undefined },
          { option: "--auto-approve", fallback: "off" },
          { option: "-h, --help", fallback: undefined }
        ])
        const example =
          /^A servers\.d file for it, (\S+) .*\n(\{\n[\s\S]*?\n\})\nThen log in with: mairu login local\n$/m
            .exec(stdout)
        expect(example?.[1]).toBe(path.join(serversDir(home.configDir), "local.json"))
        expect(JSON.parse(example![2]!)).toEqual(serverFileFor("http://127.0.0.1:PORT/"))
      } finally {
        fs.rmSync(home.root, { recursive: true, force: true })
      }
    }
  )

  it("CONTRIBUTING.md's development section shows this help, as it prints for a HOME of ~", async () => {
    const { stdout } = await runDevServer(["--help"], { PATH: process.env.PATH, HOME: "~" })
    const readme = fs.readFileSync(path.join(repoRoot, "CONTRIBUTING.md"), "utf8")
    expect(readme).toContain("```console\n$ node dist/devserver.js --help\n" + stdout + "```\n")
  })

  it.each([
    [["--bogus"], "unknown option --bogus"],
    [["-x"], "unknown option -x"],
    [["--port", "70000"], "--port 70000 is not a port (0 to 65535)"],
    [["--port", "http"], "--port http is not a port (0 to 65535)"],
    [["--port"], "--port needs a value: --port PORT"],
    [["--credential-ttl", "0"], "--credential-ttl 0 is not a whole number of seconds (1 or more)"],
    [["--auto-approve=yes"], "--auto-approve takes no value"],
    [
      ["--write-server-file", "../up"],
      "--write-server-file ../up cannot be a server id: use letters, digits, \".\", \"_\" and \"-\""
    ],
    [["serve"], "unexpected argument serve"]
  ])("%j: one line that names the mistake, exit code 2, nothing started", async (args, message) => {
    expect(await runDevServer(args)).toEqual({
      code: 2,
      signal: null,
      stdout: "",
      stderr: `devserver: ${message}; ${USAGE}\n`
    })
  })

  it("a port in use: one line that says so and what to do, exit code 1", async () => {
    const server = await startDevServer()
    try {
      const port = new URL(server.url).port
      expect(await runDevServer(["--port", port])).toEqual({
        code: 1,
        signal: null,
        stdout: "",
        stderr:
          `devserver: port ${port} on 127.0.0.1 is in use; choose another --port, or leave it out for a free one\n`
      })
    } finally {
      await server.stop()
    }
  })
})

describe("the dev server's life", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s stops it within 1 s with exit code 0, with a request in flight and keep-alive connections open",
    async (signal) => {
      const server = await startDevServer()
      try {
        await server.faults({ assumeRole: "hang" })
        const hanging = fetch(`${server.url}assume-role`, {
          method: "POST",
          headers: { "user-agent": "hanging-client" },
          body: "{}"
        }).then(() => "answered", () => "connection closed")
        // The admin calls come back on keep-alive connections, which stay open.
        while (!(await server.stats()).apiUserAgents.includes("hanging-client")) {
          // the server has not read the hanging request yet
        }
        const exit = exitWithin(server.process, 1000)
        server.process.kill(signal)
        expect(await exit).toEqual({ code: 0, signal: null })
        expect(await hanging).toBe("connection closed")
        expect(server.output().stderr).toBe("")
      } finally {
        await server.stop()
      }
    }
  )

  it("SIGTERM to `npm run devserver` reaches the server: it does not outlive npm", async () => {
    // Its own process group, so that whatever is left of it can be killed at the end.
    const npm = spawn("npm", ["run", "--silent", "devserver", "--", "--auto-approve"], {
      cwd: repoRoot,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"]
    })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stdout = ""
        npm.stdout.on("data", (d: Buffer) => {
          stdout += d.toString()
          if (stdout.includes("\n")) resolve((JSON.parse(stdout.split("\n")[0]!) as { url: string }).url)
        })
        npm.once("exit", (code) => reject(new Error(`npm exited with ${code} before the server started`)))
      })
      const exit = exitWithin(npm, 5000)
      npm.kill("SIGTERM")
      await exit
      await expect(fetch(`${url}_admin/stats`)).rejects.toThrow()
    } finally {
      try {
        process.kill(-npm.pid!, "SIGKILL")
      } catch {
        // the group is gone already
      }
    }
  })

  it("in a pipe it prints only the start-up line (oidc-provider's notices neither there nor on stderr)", async () => {
    const server = await startDevServer({ autoApprove: true })
    const closed = new Promise((resolve) => server.process.once("close", resolve))
    server.process.kill("SIGTERM")
    await closed
    expect(server.output()).toEqual({ stdout: readyLine(server.url) + "\n", stderr: "" })
  })

  it("on a terminal it follows the start-up line with the URL, the client id, the servers.d file to write and the login to run; Ctrl-C stops it", async () => {
    const home = makeHome()
    try {
      const { code, screen } = await scriptInTerminal(devServerBin, home, ["--auto-approve"], [
        { waitFor: "Ctrl-C stops it", type: "\x03" }
      ])
      expect(code).toBe(0)
      const url = (JSON.parse(screen.split("\r\n")[0]!) as { url: string }).url
      expect(screen).toMatch(/^\{"url"/)
      expect(screen.startsWith(
        [
          readyLine(url),
          "",
          `The local credential server is at ${url} (OAuth client id mairu-dev; logins are approved at once).`,
          `To use it, write ${serversDir(home.configDir)}/local.json (or start it with --write-server-file local):`,
          `  ${JSON.stringify(serverFileFor(url))}`,
          "Then run: mairu login local",
          "Ctrl-C stops it (it keeps nothing).",
          ""
        ].join("\r\n")
      )).toBe(true)
      expect(screen).not.toContain("oidc-provider")
      expect(fs.existsSync(serversDir(home.configDir))).toBe(false)
    } finally {
      fs.rmSync(home.root, { recursive: true, force: true })
    }
  })

  it("on a terminal, --write-server-file ID writes the file and says so, then the login to run", async () => {
    const home = makeHome()
    try {
      const { code, screen } = await scriptInTerminal(devServerBin, home, ["--write-server-file", "dev"], [
        { waitFor: "Ctrl-C stops it", type: "\x03" }
      ])
      expect(code).toBe(0)
      const url = (JSON.parse(screen.split("\r\n")[0]!) as { url: string }).url
      const file = path.join(serversDir(home.configDir), "dev.json")
      expect(screen).toContain(
        [
          `The local credential server is at ${url} (OAuth client id mairu-dev; ` +
          "a page in your browser asks you to approve each login).",
          `Wrote ${file}.`,
          "Then run: mairu login dev",
          ""
        ].join("\r\n")
      )
      expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(serverFileFor(url, "dev"))
    } finally {
      fs.rmSync(home.root, { recursive: true, force: true })
    }
  })
})

describe("--write-server-file", () => {
  it("writes servers.d/ID.json (mode 0600) that mairu logs in with, and replaces it at the next start's port", async () => {
    const home = makeHome()
    const file = path.join(serversDir(home.configDir), "local.json")
    try {
      const first = await startDevServer({ writeServerFile: "local", env: home.env })
      try {
        expect(fs.statSync(file).mode & 0o777).toBe(0o600)
        expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(serverFileFor(first.url))
        await loginByDevice(home, first)
        expect(first.output()).toEqual({ stdout: readyLine(first.url) + "\n", stderr: "" })
      } finally {
        await first.stop()
      }
      fs.chmodSync(file, 0o644)
      const second = await startDevServer({ writeServerFile: "local", env: home.env })
      try {
        expect(second.url).not.toBe(first.url)
        expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(serverFileFor(second.url))
        expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      } finally {
        await second.stop()
      }
    } finally {
      await cleanupHome(home)
    }
  })

  it("leaves a file it did not write: one line that names it, exit code 1", async () => {
    const home = makeHome()
    try {
      const dir = serversDir(home.configDir)
      fs.mkdirSync(dir, { recursive: true })
      const file = path.join(dir, "local.json")
      const mine = JSON.stringify({ url: "https://cred.example/", oauth: { client_id: "mine", device_code_grant: {} } })
      fs.writeFileSync(file, mine)
      expect(await runDevServer(["--write-server-file", "local"], home.env)).toEqual({
        code: 1,
        signal: null,
        stdout: "",
        stderr: `devserver: ${file} exists and is not a file this server wrote; move it away, or choose another id: ` +
          "npm run devserver -- --write-server-file ID\n"
      })
      expect(fs.readFileSync(file, "utf8")).toBe(mine)
    } finally {
      fs.rmSync(home.root, { recursive: true, force: true })
    }
  })
})
