import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import { onTestFinished } from "vitest"
import { listenForCallback } from "../../src/Agent/OAuth/LoopbackCallback.js"
import { serveOneTimeRedirect } from "../../src/Client/OneTimeRedirect.js"
import { createLoopbackServer } from "../../src/Platform/LoopbackServer.js"
import { makeMacOs } from "../../src/Platform/MacOs.js"
import type { LoopbackPeer } from "../../src/Platform/Platform.js"

// mairu's loopback servers ask the platform who is at the other end of each connection, once,
// as it is accepted. Here the platform is the macOS implementation, run on Linux, its lsof
// answering with the recorded outputs of test/Platform/macos/ (see MacOs.test.ts), their ports
// made those of the connection asked about.

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, "macos", name), "utf8")

/** An `lsof -F` output recorded for the connection 127.0.0.1:`client` → 127.0.0.1:`server`. */
interface Recorded {
  readonly text: string
  readonly client: number
  readonly server: number
}

/** Another user's process (uid 502) at the client end, as lsof shows it to root. */
const OTHER_USER: Recorded = { text: fixture("lsof-tcp-other-user.txt"), client: 53016, server: 49321 }
/** Only the server's end: what lsof shows a user of a connection that another user's process holds. */
const SERVER_END_ONLY: Recorded = { text: fixture("lsof-tcp-server-end-only.txt"), client: 53014, server: 49321 }
/** A process of this user (the recording's uid 501 made this test's own) at the client end, pid 812. */
const OWN: Recorded = {
  text: fixture("lsof-tcp-ipv4.txt").replaceAll("u501", `u${process.getuid!()}`),
  client: 53012,
  server: 49321
}

/** The macOS platform whose lsof answers with what `answerWith` last gave, and the lsof command lines it ran. */
const macOsWithLsof = (serverPort: () => number) => {
  const calls: Array<string> = []
  let recorded: Recorded | undefined
  const platform = makeMacOs({
    run: () => undefined,
    runAsync: (file, args) => {
      calls.push([file, ...args].join(" "))
      const client = /^-iTCP@127\.0\.0\.1:(\d+)$/.exec(args[1] ?? "")?.[1]
      if (file !== "lsof" || client === undefined || recorded === undefined) {
        return Promise.resolve({ code: 1, stdout: "" })
      }
      const stdout = recorded.text.replaceAll(`:${recorded.client}`, `:${client}`)
        .replaceAll(`:${recorded.server}`, `:${serverPort()}`)
      return Promise.resolve({ code: 0, stdout })
    }
  })
  return { platform, calls, answerWith: (next: Recorded) => (recorded = next) }
}

/** A GET on a new connection: its status, location and text. */
const get = (url: string, agent: http.Agent | false = false) =>
  Effect.promise(() =>
    new Promise<{ status: number; location: string | undefined; text: string; clientPort: number }>(
      (resolve, reject) => {
        http.get(url, { agent }, (response) => {
          const clientPort = response.socket.localPort!
          let text = ""
          response.on("data", (chunk: Buffer) => (text += chunk.toString()))
          response.on("end", () =>
            resolve({ status: response.statusCode!, location: response.headers.location, text, clientPort }))
        }).on("error", reject)
      }
    )
  )

const portOf = (url: string) => Number(new URL(url).port)

const lsofCall = (clientPort: number) => `lsof -nP -iTCP@127.0.0.1:${clientPort} -sTCP:ESTABLISHED -Fpun`

describe("loopback servers on macOS (recorded lsof outputs)", () => {
  it.live("the console's one-time link refuses another user, named by lsof or not shown by it, and leads this user on", () =>
    Effect.gen(function*() {
      let port = 0
      const lsof = macOsWithLsof(() => port)
      const target = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=secret"
      const link = yield* serveOneTimeRedirect(Redacted.make(target), "This link was used.", lsof.platform)
      port = portOf(link.url)

      lsof.answerWith(OTHER_USER)
      const other = yield* get(link.url)
      expect(other.status).toBe(403)
      expect(other.text).toContain("This link belongs to another user&#39;s session.")
      expect(other.text).not.toContain("SigninToken")

      lsof.answerWith(SERVER_END_ONLY)
      const unlisted = yield* get(link.url)
      expect(unlisted.status).toBe(403)
      expect(yield* link.wasFollowed).toBe(false)

      lsof.answerWith(OWN)
      const own = yield* get(link.url)
      expect(own.status).toBe(302)
      expect(own.location).toBe(target)
      expect(yield* link.wasFollowed).toBe(true)
      expect(lsof.calls).toEqual([other, unlisted, own].map((answer) => lsofCall(answer.clientPort)))
    }).pipe(Effect.scoped))

  it.live("the login callback refuses another user, named by lsof or not shown by it, and leads this user on", () =>
    Effect.gen(function*() {
      let port = 0
      const lsof = macOsWithLsof(() => port)
      const callback = yield* listenForCallback({
        host: "127.0.0.1",
        port: undefined,
        callbackPath: "/oauth2callback",
        state: "the-state",
        authorizationUrl: () => "https://idp.example/authorize",
        platform: lsof.platform
      })
      port = portOf(callback.shortUrl)
      const callbackUrl = `${callback.redirectUri}?code=stolen&state=the-state`

      for (const recorded of [OTHER_USER, SERVER_END_ONLY]) {
        lsof.answerWith(recorded)
        for (const url of [callback.shortUrl, callbackUrl]) {
          const refused = yield* get(url)
          expect(refused.status).toBe(403)
          expect(refused.text).toContain("This login belongs to another user.")
          expect(refused.location).toBeUndefined()
        }
      }

      lsof.answerWith(OWN)
      const own = yield* get(callback.shortUrl)
      expect(own.status).toBe(302)
      expect(own.location).toBe("https://idp.example/authorize")
      expect(lsof.calls.length).toBe(5)
    }).pipe(Effect.scoped))
})

describe("a loopback server", () => {
  /** A server on 127.0.0.1 whose handler records the peer of each request and answers 200. */
  const serve = (platform: ReturnType<typeof macOsWithLsof>["platform"]) =>
    Effect.promise(async () => {
      const peers: Array<LoopbackPeer> = []
      const server = createLoopbackServer((_req, res, peer) => {
        peers.push(peer)
        res.end("ok")
      }, { platform })
      onTestFinished(() => {
        server.close()
        server.closeAllConnections()
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      return { peers, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/` }
    })

  it.live("asks who is at the other end once per connection, and hands every request of it that answer", () =>
    Effect.gen(function*() {
      let port = 0
      const lsof = macOsWithLsof(() => port)
      lsof.answerWith(OWN)
      const { peers, url } = yield* serve(lsof.platform)
      port = portOf(url)
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      onTestFinished(() => agent.destroy())
      const kept = [yield* get(url, agent), yield* get(url, agent), yield* get(url, agent)]
      expect(new Set(kept.map((answer) => answer.clientPort)).size).toBe(1)
      const fresh = yield* get(url)
      expect(fresh.clientPort).not.toBe(kept[0]!.clientPort)
      expect(lsof.calls).toEqual([lsofCall(kept[0]!.clientPort), lsofCall(fresh.clientPort)])
      expect(peers).toEqual(Array(4).fill({ _tag: "Found", uid: process.getuid!(), pid: 812 }))
    }))

  it.live("caps another user's connections at 8 once lsof has named the user, and never this user's", () =>
    Effect.gen(function*() {
      let port = 0
      const lsof = macOsWithLsof(() => port)
      lsof.answerWith(OTHER_USER)
      const { url } = yield* serve(lsof.platform)
      port = portOf(url)
      const sockets = Array.from({ length: 10 }, () => net.connect(port, "127.0.0.1"))
      onTestFinished(() => sockets.forEach((socket) => socket.destroy()))
      const closed = new Set<net.Socket>()
      yield* Effect.promise(() =>
        new Promise<void>((resolve) =>
          sockets.forEach((socket) =>
            socket.once("close", () => {
              closed.add(socket)
              if (closed.size === 2) resolve()
            })
          )
        )
      )
      // All ten were looked up by now (the ninth and tenth were closed); this user's connection is served.
      lsof.answerWith(OWN)
      expect((yield* get(url)).status).toBe(200)
      expect(closed.size).toBe(2)
      expect(lsof.calls.length).toBe(11)
    }))

  it.live("without lsof cannot tell, so serves every connection uncapped, as the docs say of a Mac without it", () =>
    Effect.gen(function*() {
      const platform = makeMacOs({ run: () => undefined, runAsync: () => Promise.resolve(undefined) })
      const { peers, url } = yield* serve(platform)
      const answers = yield* Effect.all(Array.from({ length: 12 }, () => get(url)), { concurrency: "unbounded" })
      expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(200))
      expect(peers[0]).toEqual({ _tag: "CannotTell", reason: "lsof did not run" })
    }))
})
