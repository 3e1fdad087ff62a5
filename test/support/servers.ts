import type { ServerConfig } from "../../src/Schemas/ServerConfig.js"

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
