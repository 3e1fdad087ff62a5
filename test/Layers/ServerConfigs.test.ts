import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { findServer, loadServers } from "../../src/Schemas/ServerFiles.js"

const made: Array<string> = []
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })))

const serversDir = (files: Record<string, string>) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mairu-servers-"))
  made.push(dir)
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content)
  return dir
}

const oauthServer = (extra: object = {}) =>
  JSON.stringify({ url: "https://cred.example.com/base/", oauth: { client_id: "abc", code_grant: {} }, ...extra })

describe("servers.d loading", () => {
  it("applies every default of a Mairu API server and resolves endpoints with URL rules", () => {
    const loaded = loadServers(serversDir({ "a.json": oauthServer() }))
    expect(loaded.problems).toEqual([])
    const server = loaded.servers[0]!
    expect(server._tag).toBe("MairuApi")
    if (server._tag !== "MairuApi") return
    expect(server.id).toBe("https://cred.example.com/base/")
    expect(server.oauth).toMatchObject({
      clientId: "abc",
      clientSecret: undefined,
      tokenEndpoint: "https://cred.example.com/base/oauth/token",
      scope: ["profile"],
      deviceGrant: undefined,
      codeGrant: {
        authorizationEndpoint: "https://cred.example.com/base/oauth/authorize",
        localPort: undefined,
        useLocalhost: false
      },
      defaultGrantType: "code_grant"
    })
  })

  it("resolves an RFC 7009 revocation_endpoint against the url, and has none by default", () => {
    const loaded = loadServers(serversDir({
      "a.json": oauthServer({ id: "a" }),
      "b.json": JSON.stringify({
        url: "https://cred.example.com/base/",
        id: "b",
        oauth: { client_id: "abc", code_grant: {}, revocation_endpoint: "oauth/revoke" }
      })
    }))
    const [a, b] = loaded.servers
    expect(a?._tag === "MairuApi" && a.oauth.revocationEndpoint).toBeUndefined()
    expect(b?._tag === "MairuApi" && b.oauth.revocationEndpoint).toBe("https://cred.example.com/base/oauth/revoke")
  })

  it("keeps explicit endpoints, secrets redacted, and chooses the code grant when both are offered", () => {
    const loaded = loadServers(serversDir({
      "a.json": JSON.stringify({
        url: "https://h.example/",
        id: "h",
        oauth: {
          client_id: "abc",
          client_secret: "s3cret",
          token_endpoint: "https://idp.example/token",
          scope: ["a", "b"],
          device_grant: { device_authorization_endpoint: "device" },
          code_grant: { local_port: 16624, use_localhost: true }
        }
      })
    }))
    const server = loaded.servers[0]!
    if (server._tag !== "MairuApi") throw new Error("expected a Mairu API server")
    expect(server.oauth.tokenEndpoint).toBe("https://idp.example/token")
    expect(server.oauth.deviceGrant?.deviceAuthorizationEndpoint).toBe("https://h.example/device")
    expect(server.oauth.codeGrant).toMatchObject({ localPort: 16624, useLocalhost: true })
    expect(server.oauth.defaultGrantType).toBe("code_grant")
    expect(Redacted.value(server.oauth.clientSecret!)).toBe("s3cret")
    expect(String(server.oauth.clientSecret)).not.toContain("s3cret")
  })

  it("parses AWS SSO servers with their defaults", () => {
    const loaded = loadServers(serversDir({
      "sso.json": JSON.stringify({
        url: "https://x.awsapps.com/start",
        id: "contoso",
        aws_sso: { region: "us-east-1" }
      })
    }))
    expect(loaded.servers[0]).toMatchObject({
      _tag: "AwsSso",
      id: "contoso",
      awsSso: { region: "us-east-1", scope: ["sso:account:access"], localPort: undefined }
    })
  })

  it("skips files that do not parse, naming them and why, without hiding the others", () => {
    const dir = serversDir({
      "a-bad-json.json": "{ nope",
      "b-no-client.json": JSON.stringify({ url: "https://x/", oauth: { code_grant: {} } }),
      "c-no-grant.json": JSON.stringify({ url: "https://x/", oauth: { client_id: "a" } }),
      "d-both-kinds.json": JSON.stringify({
        url: "https://x/",
        oauth: { client_id: "a", code_grant: {} },
        aws_sso: { region: "r" }
      }),
      "e-bad-url.json": JSON.stringify({ url: "not a url", oauth: { client_id: "a", code_grant: {} } }),
      "f-wrong-default.json": JSON.stringify({
        url: "https://x/",
        oauth: { client_id: "a", code_grant: {}, default_grant_type: "device_grant" }
      }),
      "good.json": oauthServer({ id: "good" }),
      "notes.txt": "not a server"
    })
    const loaded = loadServers(dir)
    expect(loaded.servers.map((s) => s.id)).toEqual(["good"])
    const reasons = Object.fromEntries(loaded.problems.map((p) => [path.basename(p.path), p.reason]))
    expect(Object.keys(reasons)).toHaveLength(7)
    expect(reasons["notes.txt"]).toContain("not valid JSON")
    expect(reasons["a-bad-json.json"]).toContain("not valid JSON")
    expect(reasons["b-no-client.json"]).toContain("oauth.client_id")
    expect(reasons["c-no-grant.json"]).toContain("code_grant")
    expect(reasons["d-both-kinds.json"]).toContain("exactly one")
    expect(reasons["e-bad-url.json"]).toContain("\"url\" is not a URL")
    expect(reasons["f-wrong-default.json"]).toContain("default_grant_type")
  })

  it("finds by id, then url; duplicate ids and shared urls are errors that say what to do", () => {
    const dir = serversDir({
      "a.json": oauthServer({ id: "dup" }),
      "b.json": oauthServer({ id: "dup" }),
      "c.json": JSON.stringify({
        url: "https://shared.example/",
        id: "one",
        oauth: { client_id: "a", code_grant: {} }
      }),
      "d.json": JSON.stringify({
        url: "https://shared.example/",
        id: "two",
        oauth: { client_id: "a", code_grant: {} }
      }),
      "e.json": JSON.stringify({
        url: "https://unique.example/x/",
        id: "uniq",
        oauth: { client_id: "a", code_grant: {} }
      })
    })
    const loaded = loadServers(dir)
    const dup = findServer(loaded, "dup", dir)
    expect(Either.isLeft(dup) && dup.left._tag).toBe("InvalidArgument")
    expect(Either.isLeft(dup) && dup.left.message).toContain("a.json, b.json")
    const ambiguous = findServer(loaded, "https://shared.example/", dir)
    expect(Either.isLeft(ambiguous) && ambiguous.left.message).toContain("use the id instead: one or two")
    expect(Either.getOrThrow(findServer(loaded, "one", dir)).id).toBe("one")
    expect(Either.getOrThrow(findServer(loaded, "https://unique.example/x/", dir)).id).toBe("uniq")
    const missing = findServer(loaded, "nope", dir)
    expect(Either.isLeft(missing) && missing.left._tag).toBe("NotFound")
    expect(Either.isLeft(missing) && missing.left.message).toContain("configured: dup, one, two, uniq")
  })

  it("reads the original Mairu's files byte for byte: its key names, nulls, unknown keys, client_expires_at", () => {
    const dir = serversDir({
      // As the original's setup-sso writes it.
      "sso.json":
        "{\n  \"url\": \"https://my-org.awsapps.com/start\",\n  \"id\": \"sso\",\n  \"aws_sso\": {\n    \"region\": \"us-east-1\",\n" +
        "    \"scope\": [\n      \"sso:account:access\"\n    ],\n    \"local_port\": null\n  }\n}\n",
      // The original's names and a null for each optional key; no extension, as the original reads every file.
      "device": "{\n  \"url\": \"https://cred.example.com\",\n  \"id\": null,\n  \"aws_sso\": null,\n  \"oauth\": {\n" +
        "    \"client_id\": \"abc\",\n    \"client_secret\": null,\n    \"token_endpoint\": null,\n    \"scope\": null,\n" +
        "    \"default_grant_type\": \"device_code\",\n    \"code_grant\": null,\n" +
        "    \"device_code_grant\": {\n      \"device_authorization_endpoint\": null\n    },\n" +
        "    \"client_expires_at\": \"2030-01-02T03:04:05Z\",\n    \"a_key_of_a_later_version\": {\"x\": 1}\n  },\n  \"comment\": \"ignored\"\n}\n",
      "code.json": JSON.stringify({
        url: "https://code.example.com/",
        id: "code",
        oauth: {
          client_id: "abc",
          default_grant_type: "code",
          code_grant: { authorization_endpoint: null, local_port: null, use_localhost: null },
          device_code_grant: {},
          client_expires_at: null
        }
      })
    })
    const loaded = loadServers(dir)
    expect(loaded.problems).toEqual([])
    const byId = Object.fromEntries(loaded.servers.map((s) => [s.id, s]))
    expect(byId["sso"]).toMatchObject({
      _tag: "AwsSso",
      url: "https://my-org.awsapps.com/start",
      awsSso: { region: "us-east-1", scope: ["sso:account:access"], localPort: undefined }
    })
    // Without an id, the id is the normalised url, as for the original.
    const device = byId["https://cred.example.com/"]
    if (device?._tag !== "MairuApi") throw new Error("expected the Mairu API server from the file \"device\"")
    expect(device.oauth).toMatchObject({
      clientSecret: undefined,
      tokenEndpoint: "https://cred.example.com/oauth/token",
      scope: ["profile"],
      codeGrant: undefined,
      deviceGrant: { deviceAuthorizationEndpoint: "https://cred.example.com/oauth/device" },
      defaultGrantType: "device_grant"
    })
    expect(device.oauth.clientExpiresAt?.toISOString()).toBe("2030-01-02T03:04:05.000Z")
    const code = byId["code"]
    if (code?._tag !== "MairuApi") throw new Error("expected the Mairu API server code")
    expect(code.oauth.defaultGrantType).toBe("code_grant")
    expect(code.oauth.codeGrant).toMatchObject({ localPort: undefined, useLocalhost: false })
    expect(code.oauth.deviceGrant).toBeDefined()
    expect(code.oauth.clientExpiresAt).toBeUndefined()
    // The url matches however it is spelled.
    for (const query of ["https://cred.example.com", "https://cred.example.com/", "https://CRED.example.com:443"]) {
      expect(Either.getOrThrow(findServer(loaded, query, dir)).path).toBe(path.join(dir, "device"))
    }
  })

  it("keeps mairu's earlier names as aliases: device_grant, code_grant and device_grant as default_grant_type", () => {
    const loaded = loadServers(serversDir({
      "a.json": JSON.stringify({
        url: "https://a.example/",
        id: "a",
        oauth: { client_id: "c", device_grant: {}, default_grant_type: "device_grant" }
      }),
      "b.json": JSON.stringify({
        url: "https://b.example/",
        id: "b",
        oauth: { client_id: "c", code_grant: {}, device_grant: {}, default_grant_type: "code_grant" }
      })
    }))
    expect(loaded.problems).toEqual([])
    expect(
      loaded.servers.map((s) =>
        s._tag === "MairuApi" && [s.id, s.oauth.defaultGrantType, s.oauth.deviceGrant !== undefined]
      )
    )
      .toEqual([["a", "device_grant", true], ["b", "code_grant", true]])
  })

  it("skips hidden files, editor backups and folders without a word, and names the file and the key of bad input", () => {
    const dir = serversDir({
      ".hidden.json": "{",
      "a.json~": "{",
      "a.json.swp": "{",
      "a.json.bak": "{",
      "good": oauthServer({ id: "good" }),
      "bad-port.json": JSON.stringify({
        url: "https://x/",
        oauth: { client_id: "a", code_grant: { local_port: "16624" } }
      }),
      "bad-grant.json": JSON.stringify({
        url: "https://x/",
        oauth: { client_id: "a", code_grant: {}, default_grant_type: "implicit" }
      }),
      "bad-expiry.json": JSON.stringify({
        url: "https://x/",
        oauth: { client_id: "a", code_grant: {}, client_expires_at: "soon" }
      }),
      "null-url.json": JSON.stringify({ url: null, aws_sso: { region: "us-east-1" } })
    })
    fs.mkdirSync(path.join(dir, "a-folder"))
    const loaded = loadServers(dir)
    expect(loaded.servers.map((s) => s.id)).toEqual(["good"])
    const reasons = Object.fromEntries(loaded.problems.map((p) => [path.basename(p.path), p.reason]))
    expect(Object.keys(reasons).sort()).toEqual(["bad-expiry.json", "bad-grant.json", "bad-port.json", "null-url.json"])
    expect(reasons["bad-port.json"]).toContain("oauth.code_grant.local_port")
    expect(reasons["bad-grant.json"]).toContain("oauth.default_grant_type")
    expect(reasons["bad-expiry.json"]).toContain("oauth.client_expires_at")
    expect(reasons["null-url.json"]).toContain("url")
    expect(loaded.problems.every((p) => p.path.startsWith(dir))).toBe(true)
  })
})
