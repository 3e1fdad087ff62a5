import { describe, expect, it } from "vitest"
import {
  type ConfigText,
  parseConfigText,
  profileName,
  profilesOutside,
  renderGroup,
  unwritableArgument,
  withBlock
} from "../../src/Client/ProfileBlock.js"

const program = ["/usr/bin/node", "/opt/mairu/dist/mairu.cjs"]

const parse = (bytes: Buffer): ConfigText => {
  const parsed = parseConfigText(bytes.toString("latin1"))
  if (!("config" in parsed)) throw new Error(parsed.problem)
  return parsed.config
}

const local = renderGroup("local", [{ name: "mairu-local-demo", role: "demo" }], { program, region: undefined })
const contoso = renderGroup(
  "contoso",
  [{ name: "mairu-contoso-111111111111-readonly", role: "111111111111/ReadOnly" }],
  { program, region: "us-east-1" }
)

describe("profile names", () => {
  it("are PREFIX-SERVER-ROLE lowercased, anything outside [a-z0-9._-] made -", () => {
    expect(profileName("mairu", "contoso", "111111111111/AdministratorAccess"))
      .toBe("mairu-contoso-111111111111-administratoraccess")
    expect(profileName("mairu", "local", "it's a role")).toBe("mairu-local-it-s-a-role")
    expect(profileName("Work", "https://cred.example/", "ops_2.x")).toBe("work-https---cred.example--ops_2.x")
    expect(profileName("", "local", "役割")).toBe("local---")
  })

  it("refuse server ids and roles that cannot be a credential-process argument", () => {
    expect(unwritableArgument("it's a role")).toBeUndefined()
    expect(unwritableArgument("")).toContain("empty")
    expect(unwritableArgument("a\nb")).toContain("control characters")
    expect(unwritableArgument("a\u202eb")).toContain("control characters")
    expect(unwritableArgument("-role")).toContain("option")
  })
})

describe("the managed block", () => {
  it("is added at the end, and taking it out restores every byte, also without a final line break", () => {
    const originals = [
      Buffer.from("[profile mine]\nregion = eu-west-1\n"),
      Buffer.from("[profile mine]\r\nregion = eu-west-1"),
      Buffer.from([0x5b, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x5d, 0x0a, 0x23, 0xe9, 0xff, 0xfe, 0x0a]),
      Buffer.alloc(0)
    ]
    for (const original of originals) {
      const written = withBlock(parse(original), [local])
      expect(written.subarray(0, original.length)).toEqual(original)
      const again = parse(written)
      expect(again.groups?.map((group) => group.serverId)).toEqual(["local"])
      expect(again.groups?.[0]?.profiles).toEqual(["mairu-local-demo"])
      expect(withBlock(again, [])).toEqual(original)
      // Replacing the block keeps what is around it, including what the user added after it.
      const later = Buffer.from("[profile later]\nregion = ap-south-1\n")
      const replaced = withBlock(parse(Buffer.concat([written, later])), [contoso, local])
      expect(parse(replaced).groups?.map((group) => group.serverId)).toEqual(["contoso", "local"])
      expect(replaced.subarray(replaced.length - later.length)).toEqual(later)
      // Out again: the line break mairu added stays when something follows, so no two lines run together.
      const ends = original.length === 0 || original.at(-1) === 0x0a
      expect(withBlock(parse(replaced), [])).toEqual(Buffer.concat([original, Buffer.from(ends ? "" : "\n"), later]))
    }
  })

  it("says in comments that mairu manages it, and holds one section per profile", () => {
    const text = withBlock(parse(Buffer.alloc(0)), [contoso]).toString("utf8")
    expect(text).toBe(
      "# BEGIN mairu profiles\n" +
        "# Managed by mairu: `mairu profiles` may regenerate this block, `mairu profiles --remove` deletes it.\n" +
        "# Edits inside it are lost: write your own profiles outside it.\n\n" +
        "# server \"contoso\"\n" +
        "[profile mairu-contoso-111111111111-readonly]\n" +
        "credential_process = /usr/bin/node /opt/mairu/dist/mairu.cjs credential-process contoso " +
        "111111111111/ReadOnly\n" +
        "region = us-east-1\n\n" +
        "# END mairu profiles\n"
    )
  })

  it("is left alone when its markers do not make one block", () => {
    for (
      const text of [
        "# BEGIN mairu profiles\n",
        "# END mairu profiles\n",
        "# END mairu profiles\n# BEGIN mairu profiles\n"
      ]
    ) {
      expect(parseConfigText(text)).toHaveProperty("problem")
    }
    const twice = withBlock(parse(Buffer.alloc(0)), [local]).toString("latin1")
    expect(parseConfigText(twice + twice)).toHaveProperty("problem")
  })

  it("knows the profile names defined outside it, as botocore and the SDK for JavaScript read them", () => {
    const config = parse(Buffer.concat([
      Buffer.from("[default]\n[profile a]\n[ profile  b ] ; note\n[profile \"c\"]\n[d]\n[sso-session e]\n"),
      withBlock(parse(Buffer.alloc(0)), [local]),
      Buffer.from("[profile f]\n")
    ]))
    expect([...profilesOutside(config)].sort()).toEqual(["a", "b", "c", "d", "default", "f"])
  })
})
