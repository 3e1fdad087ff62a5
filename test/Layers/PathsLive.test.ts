import { describe, expect, it } from "vitest"
import { resolvePaths } from "../../src/Files/XdgPaths.js"

describe("paths", () => {
  it("follows the XDG defaults", () => {
    const paths = resolvePaths({}, "/home/u")
    expect(paths).toEqual({
      configDir: "/home/u/.config/mairu",
      serversDir: "/home/u/.config/mairu/servers.d",
      stateDir: "/home/u/.local/state/mairu",
      trustDir: "/home/u/.local/state/mairu/trust",
      cacheDir: "/home/u/.local/state/mairu/cache",
      logDir: "/home/u/.local/state/mairu/log",
      socketPath: "/home/u/.local/state/mairu/run/mairu-agent.sock"
    })
  })

  it("honours XDG variables, the runtime folder and MAIRU_AGENT_SOCK, ignoring empty ones", () => {
    const env = { XDG_CONFIG_HOME: "/c", XDG_STATE_HOME: "/s", XDG_RUNTIME_DIR: "/run/user/1" }
    expect(resolvePaths(env, "/home/u")).toMatchObject({
      serversDir: "/c/mairu/servers.d",
      trustDir: "/s/mairu/trust",
      socketPath: "/run/user/1/mairu/mairu-agent.sock"
    })
    expect(resolvePaths({ ...env, MAIRU_AGENT_SOCK: "/p/a.sock" }, "/home/u").socketPath).toBe("/p/a.sock")
    expect(resolvePaths({ XDG_CONFIG_HOME: "", XDG_RUNTIME_DIR: "" }, "/h").socketPath).toBe(
      "/h/.local/state/mairu/run/mairu-agent.sock"
    )
  })
})
