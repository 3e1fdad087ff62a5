import * as fs from "node:fs"
import * as path from "node:path"
import type { ServerConfig } from "../../src/Schemas/ServerConfig.js"
import type { DevServer } from "./devServer.js"

/** A Mairu API server as a loaded configuration, for tests that never talk to it. */
export const mairuApiServer = (id = "local", url = "https://cred.example/"): ServerConfig => ({
  _tag: "MairuApi",
  id,
  url,
  path: `/config/mairu/servers.d/${id}.json`,
  oauth: {
    clientId: "client",
    clientSecret: undefined,
    tokenEndpoint: new URL("oauth/token", url).toString(),
    scope: ["profile"],
    deviceGrant: { deviceAuthorizationEndpoint: new URL("oauth/device", url).toString() },
    codeGrant: undefined,
    defaultGrantType: "device_grant"
  }
})

/** The `servers.d` folder under `configDir` (what XDG_CONFIG_HOME will be). */
export const serversDirOf = (configDir: string) => path.join(configDir, "mairu", "servers.d")

/**
 * Writes `servers.d/NAME.json` under `configDir`: `content` as JSON, or as it is when it is text
 * (a file the original wrote, byte for byte, or one that does not parse).
 */
export const writeServerFile = (
  configDir: string,
  name: string,
  content: object | string,
  options: { readonly mode?: number } = {}
) => {
  const dir = serversDirOf(configDir)
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${name}.json`)
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content))
  if (options.mode !== undefined) fs.chmodSync(file, options.mode)
  return file
}

/** Writes `servers.d/ID.json` for the dev server under `configDir`. */
export const writeServerConfig = (
  configDir: string,
  server: DevServer,
  extra: { id?: string; oauth?: object } = {}
) => {
  const id = extra.id ?? "local"
  return writeServerFile(configDir, id, {
    id,
    url: server.url,
    oauth: { client_id: server.clientId, device_grant: {}, code_grant: {}, ...extra.oauth }
  })
}
