import { describe, expect, it } from "vitest"
import { credentialProcessJson, formatExpiration } from "../../src/Credentials/CredentialProcessJson.js"

describe("the credential_process JSON", () => {
  it("has exactly the documented keys, in order, and the expiration without fractional seconds", () => {
    const json = credentialProcessJson({
      accessKeyId: "ASIA1",
      secretAccessKey: "secret",
      sessionToken: "token",
      expiration: new Date("2026-12-03T17:24:47.123Z")
    })
    expect(json).toBe(
      `{"Version":1,"AccessKeyId":"ASIA1","SecretAccessKey":"secret","SessionToken":"token",` +
        `"Expiration":"2026-12-03T17:24:47Z"}`
    )
    expect(JSON.parse(credentialProcessJson({
      accessKeyId: "AKIA1",
      secretAccessKey: "secret",
      sessionToken: undefined,
      expiration: undefined
    }))).toEqual({ Version: 1, AccessKeyId: "AKIA1", SecretAccessKey: "secret" })
  })

  it("writes any instant as RFC 3339 in UTC to the second", () => {
    expect(formatExpiration(new Date(0))).toBe("1970-01-01T00:00:00Z")
    expect(formatExpiration(new Date("2099-01-02T03:04:05.999Z"))).toBe("2099-01-02T03:04:05Z")
  })
})
