import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { runAgent } from "../../src/Agent/Main.js"
import { resolvePaths } from "../../src/Files/XdgPaths.js"
import { AgentRequest, Shutdown } from "../../src/Schemas/AgentProtocol.js"
import { PROTOCOL_VERSION } from "../../src/Schemas/ProtocolVersion.js"
import { Paths } from "../../src/Services/Paths.js"
import { VERSION } from "../../src/Version.js"
import { settingsFrom } from "../support/settings.js"

/** Sends one line and collects what comes back until the agent closes the connection. */
const untilClosed = (socketPath: string, line: string) =>
  Effect.async<string, Error>((resume) => {
    const socket = net.createConnection(socketPath)
    let text = ""
    socket.on("connect", () => socket.write(line))
    socket.on("data", (data) => (text += data.toString()))
    socket.on("error", (error) => resume(Effect.fail(error)))
    socket.on("close", () => resume(Effect.succeed(text)))
  })

describe("the agent in this process", () => {
  it.scopedLive("answers Shutdown, closes its socket once the answer is out, and stops", () =>
    Effect.gen(function*() {
      const root = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "mairu-shutdown-"))),
        (root) => Effect.sync(() => fs.rmSync(root, { recursive: true, force: true }))
      )
      const paths = resolvePaths({ MAIRU_AGENT_SOCK: path.join(root, "run", "agent.sock") }, root)
      const agent = yield* runAgent({ coreDumpsOff: false, debuggersBlocked: false, inspectorClosed: true }).pipe(
        Effect.provide(Layer.merge(Layer.succeed(Paths, paths), settingsFrom())),
        Logger.withMinimumLogLevel(LogLevel.None),
        Effect.fork
      )
      const line = JSON.stringify({
        v: PROTOCOL_VERSION,
        id: 7,
        version: VERSION,
        request: Schema.encodeSync(AgentRequest)(new Shutdown())
      }) + "\n"
      // Waits until the agent listens.
      const text = yield* untilClosed(paths.socketPath, line).pipe(
        Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 250 })
      )
      // The answer came before the agent closed the connection.
      expect(JSON.parse(text)).toEqual({ id: 7, exit: { _tag: "Success" } })
      expect(yield* Fiber.join(agent)).toBeUndefined()
      expect(fs.existsSync(paths.socketPath)).toBe(false)
    }))
})
