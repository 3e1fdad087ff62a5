import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { checkSocketPath } from "../../src/Wire/SocketTrust.js"

// A Mac's default socket places, rebuilt under a temporary folder with a Mac's owners and modes
// (as root, for a user of uid 501): $TMPDIR, reached through the /var -> private/var link, and
// ~/.local/state/mairu/run. The layout is written after what macOS has, not copied from a Mac.

const USER = 501
const roots: Array<string> = []
const servers: Array<net.Server> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true })
})

const folder = (dir: string, uid: number, mode: number) => {
  fs.mkdirSync(dir, { recursive: true })
  fs.chownSync(dir, uid, uid === 0 ? 0 : 20)
  fs.chmodSync(dir, mode)
}

const listen = async (socketPath: string) => {
  const server = net.createServer()
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  fs.lchownSync(socketPath, USER, 20)
}

const macRoot = () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-mac-"))
  roots.push(root)
  fs.chmodSync(root, 0o755)
  return root
}

describe("the socket trust walk on a Mac's default places", () => {
  it("trusts $TMPDIR under /var/folders, through the root-owned /var -> private/var link", async () => {
    const root = macRoot()
    // drwxr-xr-x root wheel /private, /private/var, /private/var/folders, /private/var/folders/7x
    for (const dir of ["private", "private/var", "private/var/folders", "private/var/folders/7x"]) {
      folder(path.join(root, dir), 0, 0o755)
    }
    // drwxr-xr-x alice staff …/7x/k2j9…gn; drwx------ alice staff …/T
    const user = path.join(root, "private/var/folders/7x/k2j9fq1n3b5c8d0g4h6k2m4p0000gn")
    folder(user, USER, 0o755)
    folder(path.join(user, "T"), USER, 0o700)
    // lrwxr-xr-x root wheel /var -> private/var
    fs.symlinkSync("private/var", path.join(root, "var"))
    const tmpdir = path.join(root, "var/folders/7x/k2j9fq1n3b5c8d0g4h6k2m4p0000gn/T/")
    const socketPath = path.join(tmpdir, "mairu", "mairu-agent.sock")

    expect(checkSocketPath(socketPath, { uid: USER })).toEqual({ _tag: "Missing" })
    folder(path.dirname(socketPath), USER, 0o700)
    await listen(socketPath)
    expect(checkSocketPath(socketPath, { uid: USER })).toEqual({ _tag: "Trusted" })
    // $TMPDIR itself as the socket's folder (MAIRU_AGENT_SOCK=$TMPDIR/mairu.sock).
    await listen(path.join(tmpdir, "mairu.sock"))
    expect(checkSocketPath(`${tmpdir}/mairu.sock`, { uid: USER })).toEqual({ _tag: "Trusted" })
  })

  it("trusts ~/.local/state/mairu/run under /Users", async () => {
    const root = macRoot()
    // drwxr-xr-x root admin /Users; drwxr-x--- alice staff /Users/alice
    folder(path.join(root, "Users"), 0, 0o755)
    const home = path.join(root, "Users", "alice")
    folder(home, USER, 0o750)
    for (const dir of [".local", ".local/state", ".local/state/mairu"]) folder(path.join(home, dir), USER, 0o755)
    const socketPath = path.join(home, ".local/state/mairu/run/mairu-agent.sock")
    // The agent makes the folder 0700 before it listens.
    expect(checkSocketPath(socketPath, { uid: USER })).toEqual({ _tag: "Missing" })
    folder(path.dirname(socketPath), USER, 0o700)
    await listen(socketPath)
    expect(checkSocketPath(socketPath, { uid: USER })).toEqual({ _tag: "Trusted" })
  })
})
