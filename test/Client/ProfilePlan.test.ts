import { describe, expect, it } from "vitest"
import { renderGroup } from "../../src/Client/ProfileBlock.js"
import { type ListedServer, planProfiles, type ProfilePlanInput } from "../../src/Client/ProfilePlan.js"

const program = ["/usr/bin/node", "/opt/mairu/dist/mairu.cjs"]

const listed = (id: string, names: ReadonlyArray<string>, region?: string): ListedServer => ({
  id,
  region,
  roles: { ok: true, names }
})
const failed = (id: string): ListedServer => ({
  id,
  region: undefined,
  roles: { ok: false, reason: `not logged in. Log in with: mairu login ${id}` }
})

const plan = (input: Partial<ProfilePlanInput>) =>
  planProfiles({
    previous: [],
    outside: new Set(),
    listed: [],
    configured: new Set(["local", "contoso"]),
    named: false,
    prefix: "mairu",
    region: undefined,
    program,
    file: "/home/u/.aws/config",
    ...input
  })

const previousLocal = renderGroup("local", [
  { name: "mairu-local-demo", role: "demo" },
  { name: "mairu-local-gone", role: "gone" }
], { program, region: undefined })

describe("which profiles the block holds", () => {
  it("one per listed role, sorted, with what was added, removed and kept per server", () => {
    const result = plan({ previous: [previousLocal], listed: [listed("local", ["new", "demo"])] })
    expect(result.groups.map((group) => group.profiles)).toEqual([["mairu-local-demo", "mairu-local-new"]])
    expect(result.messages).toEqual(["local: 1 added, 1 removed, 1 kept."])
    expect(result.failed).toBe(false)
  })

  it("keeps the profiles of a server whose roles could not be listed, and says how to fix it", () => {
    const result = plan({ previous: [previousLocal], listed: [failed("local")] })
    expect(result.groups).toEqual([previousLocal])
    expect(result.failed).toBe(true)
    expect(result.messages.join("\n")).toContain("Kept its 2 profiles from before")
    expect(result.messages.join("\n")).toContain("mairu login local")
  })

  it("listing every server: keeps those without a session, drops those the agent no longer has", () => {
    const gone = renderGroup("old", [{ name: "mairu-old-x", role: "x" }], { program, region: undefined })
    const result = plan({ previous: [gone, previousLocal], listed: [listed("contoso", ["1/A"])] })
    expect(result.groups.map((group) => group.serverId)).toEqual(["contoso", "local"])
    expect(result.messages).toContain("old: the agent no longer has this server; removed its 1 profile.")
    expect(result.messages.join("\n")).toContain("local: not logged in; kept its 2 profiles from before")
    // Naming servers leaves the others' profiles as they are, without a word.
    const named = plan({ previous: [gone, previousLocal], listed: [listed("contoso", ["1/A"])], named: true })
    expect(named.groups.map((group) => group.serverId)).toEqual(["contoso", "local", "old"])
    expect(named.messages).toEqual(["contoso: 1 added, 0 removed, 0 kept."])
  })

  it("leaves a name defined outside the block to the user, and gives each name to one role only", () => {
    const result = plan({
      outside: new Set(["mairu-local-demo"]),
      listed: [listed("local", ["demo", "a b", "a-b", "-x", "ok"])]
    })
    expect(result.groups[0]?.profiles).toEqual(["mairu-local-a-b", "mairu-local-ok"])
    const text = result.messages.join("\n")
    expect(text).toContain("profile mairu-local-demo is defined in /home/u/.aws/config outside mairu's block")
    expect(text).toContain("mairu profiles --prefix OTHER")
    expect(text).toContain(`role "a-b" of local would be profile mairu-local-a-b, which role "a b" of local has`)
    expect(text).toContain(`role "-x" of local gets no profile`)
  })

  it("takes --region, else the server's own, and writes no region that is not one", () => {
    const regionOf = (input: Partial<ProfilePlanInput>) => /region = (.*)/.exec(plan(input).groups[0]!.text)?.[1]
    expect(regionOf({ listed: [listed("contoso", ["1/A"], "us-east-1")] })).toBe("us-east-1")
    expect(regionOf({ listed: [listed("contoso", ["1/A"], "us-east-1")], region: "eu-west-2" })).toBe("eu-west-2")
    expect(regionOf({ listed: [listed("local", ["a"])] })).toBeUndefined()
    const injected = plan({ listed: [listed("contoso", ["1/A"], "us-east-1\n[profile x]")] })
    expect(injected.groups[0]!.text).not.toContain("region")
    expect(injected.messages.join("\n")).toContain("is not an AWS region")
  })
})
