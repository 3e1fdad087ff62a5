import { describe, expect, it } from "vitest"
import { nodeOptionsWords, unsafeNodeSettings } from "../../src/Launcher/AgentEnvironment.js"
import { AGENT_START_FLAGS, AGENT_V8_FLAGS } from "../../src/Launcher/AgentFlags.js"

describe("NODE_OPTIONS as Node reads it", () => {
  it("splits at spaces outside double quotes, drops the quotes, and takes a character after a backslash in quotes", () => {
    expect(nodeOptionsWords("--a  --b=1")).toEqual(["--a", "--b=1"])
    expect(nodeOptionsWords(`"--require" /x.cjs`)).toEqual(["--require", "/x.cjs"])
    expect(nodeOptionsWords(`--ti"tle=a b" x`)).toEqual(["--title=a b", "x"])
    expect(nodeOptionsWords(`"--req\\uire" "a\\"b"`)).toEqual(["--require", `a"b`])
    // Outside quotes a backslash is a character, and a tab does not separate words.
    expect(nodeOptionsWords(`--a\\ b\t--c`)).toEqual(["--a\\", "b\t--c"])
    expect(nodeOptionsWords(`"" --a`)).toEqual(["--a"])
  })
})

describe("the Node flags the agent refuses", () => {
  const refused = (execArgv: ReadonlyArray<string>, nodeOptions?: string) =>
    unsafeNodeSettings(execArgv, nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }).map((s) => s.text)

  it("refuses what cannot be tried on a running Node: snapshots, config files, breaking debuggers", () => {
    for (
      const flag of [
        "--inspect-brk",
        "--inspect-wait=0",
        "--inspect_brk",
        "--build-snapshot",
        "--snapshot-blob=x.blob",
        "--experimental-default-config-file",
        "--experimental-config-file=node.config.json",
        "--experimental-sea-config=x",
        "--watch",
        "--test",
        "--eval=1",
        "-e",
        "--interactive",
        "--no-disable-sigusr1"
      ]
    ) {
      expect(refused([flag]), flag).toEqual([flag])
      expect(refused([], flag), flag).toEqual([`${flag} (in NODE_OPTIONS)`])
    }
  })

  it("allows the agent's own flags and harmless ones, in Node's spellings", () => {
    expect(refused([...AGENT_V8_FLAGS, ...AGENT_START_FLAGS, "--disable-sigusr1"])).toEqual([])
    expect(refused([], AGENT_START_FLAGS.join(" "))).toEqual([])
    expect(
      refused([], `--max_old_space_size=512 "--dns-result-order" ipv4first --disable-warning DEP0040 --no-warnings`)
    )
      .toEqual([])
    expect(refused([], "--use-openssl-ca --tls-min-v1.2 --unhandled-rejections=strict")).toEqual([])
  })

  it("never takes a flag for another flag's value", () => {
    expect(refused([], "--dns-result-order --require /x.cjs")).toEqual([
      "--require (in NODE_OPTIONS)",
      "/x.cjs (in NODE_OPTIONS)"
    ])
    expect(refused([], "--no-warnings /x.cjs")).toEqual(["/x.cjs (in NODE_OPTIONS)"])
  })

  it("refuses OPENSSL_CONF, which makes OpenSSL load providers as Node starts", () => {
    expect(unsafeNodeSettings([], { OPENSSL_CONF: "/etc/x.cnf" })).toEqual([
      { text: "OPENSSL_CONF=/etc/x.cnf", variable: "OPENSSL_CONF" }
    ])
    expect(unsafeNodeSettings([], { OPENSSL_CONF: "" })).toEqual([])
  })
})
