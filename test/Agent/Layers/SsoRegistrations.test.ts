import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { registrationFile, SsoRegistrationsLive } from "../../../src/Agent/Layers/SsoRegistrationsLive.js"
import { SsoRegistrations } from "../../../src/Agent/Services/SsoRegistrations.js"
import { resolvePaths } from "../../../src/Files/XdgPaths.js"
import type { ServerConfig } from "../../../src/Schemas/ServerConfig.js"
import { Paths } from "../../../src/Services/Paths.js"

const root = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-sso-registrations-"))
const registered: Array<Record<string, unknown>> = []
const ISSUED_AT = Math.floor(Date.now() / 1000)

/** sso-oidc:RegisterClient as some answers come: without clientSecretExpiresAt. */
const fake = http.createServer((req, res) => {
  let body = ""
  req.on("data", (chunk: Buffer) => (body += chunk.toString()))
  req.on("end", () => {
    registered.push(JSON.parse(body) as Record<string, unknown>)
    res.writeHead(200, { "content-type": "application/json" })
    res.end(
      JSON.stringify({ clientId: `client-${registered.length}`, clientSecret: "secret", clientIdIssuedAt: ISSUED_AT })
    )
  })
})

beforeAll(async () => {
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve))
  process.env.AWS_ENDPOINT_URL_SSO_OIDC = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`
  process.env.AWS_CONFIG_FILE = "/dev/null"
  process.env.AWS_SHARED_CREDENTIALS_FILE = "/dev/null"
})
afterAll(async () => {
  await new Promise<void>((resolve) => fake.close(() => resolve()))
  fs.rmSync(root, { recursive: true, force: true })
})

const server: ServerConfig = {
  _tag: "AwsSso",
  id: "contoso",
  url: "https://my-org.awsapps.com/start",
  path: "/x/contoso.json",
  awsSso: { region: "us-east-1", scope: ["sso:account:access"], localPort: undefined }
}

const paths = resolvePaths({}, root)
const layer = SsoRegistrationsLive.pipe(Layer.provide(Layer.succeed(Paths, paths)))
const obtain = (grant: "code" | "device") =>
  Effect.runPromise(Effect.provide(Effect.flatMap(SsoRegistrations, (r) => r.obtain(server, grant)), layer))

describe("AWS SSO client registrations", () => {
  it("count on AWS's 90 days when the answer gives no expiry, instead of registering at every login", async () => {
    const first = await obtain("device")
    expect(first.clientId).toBe("client-1")
    expect(first.expiresAt.getTime()).toBe((ISSUED_AT + 90 * 24 * 3600) * 1000)
    const again = await obtain("device")
    expect(again.clientId).toBe("client-1")
    expect(Redacted.value(again.clientSecret)).toBe("secret")
    expect(registered).toHaveLength(1)
    const file = registrationFile(paths.cacheDir, server, "device")
    expect(path.basename(file)).toMatch(/^awssso_c\.[A-Za-z0-9_-]{43}\.device\.json$/)
    const stamp = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z")
    expect(fs.readFileSync(file, "utf8")).toBe(
      `{\n  "id": "contoso",\n  "epoch": 3,\n  "issued_at": "${stamp(ISSUED_AT)}",\n` +
        `  "expires_at": "${
          stamp(ISSUED_AT + 90 * 24 * 3600)
        }",\n  "client_id": "client-1",\n  "client_secret": "secret"\n}\n`
    )
  })

  it("reads a registration mairu kept before it shared the original's files, and shares it", async () => {
    const { createHash } = await import("node:crypto")
    const key = createHash("sha256")
      .update([server.id, server.url, "us-east-1", "sso:account:access", "code"].join("\0"))
      .digest("hex")
      .slice(0, 32)
    fs.mkdirSync(paths.cacheDir, { recursive: true })
    fs.writeFileSync(
      path.join(paths.cacheDir, `sso-client.${key}.json`),
      JSON.stringify({ clientId: "earlier", clientSecret: "s", expiresAt: "2099-01-01T00:00:00.000Z" })
    )
    const before = registered.length
    expect((await obtain("code")).clientId).toBe("earlier")
    expect(registered).toHaveLength(before)
    // Now also where the original Mairu looks for it.
    expect(JSON.parse(fs.readFileSync(registrationFile(paths.cacheDir, server, "code"), "utf8"))).toMatchObject({
      id: "contoso",
      epoch: 3,
      expires_at: "2099-01-01T00:00:00Z",
      client_id: "earlier",
      client_secret: "s"
    })
  })
})
