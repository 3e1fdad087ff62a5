import type * as Redacted from "effect/Redacted"
import {
  type AgentError,
  InvalidArgument,
  NotAllowed,
  NotFound,
  PermissionDenied,
  ResourceExhausted,
  Unauthenticated,
  Unknown
} from "../Schemas/AgentErrors.js"
import type { AwsCredentials } from "../Schemas/Credentials.js"
import type { ServerConfig } from "../Schemas/ServerConfig.js"
import type { Scrubber } from "./Scrub.js"

/**
 * Failures leave the agent (to a client, to the log) only with the secrets of the
 * session they concern removed from their messages (KnownSecrets does it with this):
 * whatever a backend or an SDK quoted from a server, the tokens, the client secret and
 * the AWS keys are not in it.
 */

type Secret = Redacted.Redacted<string> | undefined

const withMessage = (error: AgentError, message: string): AgentError => {
  switch (error._tag) {
    case "Unauthenticated":
      return new Unauthenticated({ serverId: error.serverId, message })
    case "PermissionDenied":
      return new PermissionDenied({ message })
    case "NotFound":
      return new NotFound({ message })
    case "NotAllowed":
      return new NotAllowed({ message })
    case "InvalidArgument":
      return new InvalidArgument({ message })
    case "ResourceExhausted":
      return new ResourceExhausted({ message })
    case "Unknown":
      return new Unknown({ message })
  }
}

export const scrubError = (scrub: Scrubber) => (error: AgentError): AgentError => {
  const message = scrub(error.message)
  return message === error.message ? error : withMessage(error, message)
}

export const serverSecrets = (server: ServerConfig): Array<Secret> =>
  server._tag === "MairuApi" ? [server.oauth.clientSecret] : []

export const credentialSecrets = (credentials: AwsCredentials): Array<Secret> => [
  credentials.secretAccessKey,
  credentials.sessionToken
]
