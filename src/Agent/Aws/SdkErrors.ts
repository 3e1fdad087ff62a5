import {
  type AgentError,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  ResourceExhausted,
  Unauthenticated,
  Unknown
} from "../../Schemas/AgentErrors.js"
import { makeScrubber } from "../Scrub.js"

export interface AwsSdkError {
  readonly name?: string
  readonly message?: string
  readonly error_description?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
}

export const asSdkError = (error: unknown): AwsSdkError => (typeof error === "object" && error !== null ? error : {})

/** The parts of an SDK failure mairu reads, with `secrets` (what the request carried) removed from its text. */
export const scrubSdkError = (error: unknown, secrets: ReadonlyArray<string | undefined>): AwsSdkError => {
  const e = asSdkError(error)
  const scrub = makeScrubber(secrets)
  return {
    ...(e.name === undefined ? {} : { name: e.name }),
    ...(e.message === undefined ? {} : { message: scrub(e.message) }),
    ...(e.error_description === undefined ? {} : { error_description: scrub(e.error_description) }),
    ...(e.$metadata === undefined ? {} : { $metadata: e.$metadata })
  }
}

/**
 * An AWS SDK failure (sso, sso-oidc or sts) as a failure kind of the agent protocol, by HTTP
 * status first, then by name. `serverId` is the server whose session the call used: without
 * one (STS with a first hop's credentials), a rejected token is not an ended session.
 */
export const fromSdkError = (serverId: string | undefined, what: string, error: unknown): AgentError => {
  const e = asSdkError(error)
  const detail = `${what}: ${e.name ?? "error"}${e.message ? `: ${e.message}` : ""}`
  const status = e.$metadata?.httpStatusCode
  if (status === 401 || e.name === "UnauthorizedException" || e.name === "ExpiredTokenException") {
    return serverId === undefined
      ? new PermissionDenied({ message: `${detail}; these credentials were not accepted` })
      : new Unauthenticated({ serverId, message: `${detail}; the session is no longer valid` })
  }
  if (status === 403) return new PermissionDenied({ message: `${detail}; you are not allowed this role` })
  if (status === 429) return new ResourceExhausted({ message: `${detail}; try again later` })
  switch (e.name) {
    case "AccessDenied":
    case "AccessDeniedException":
    case "ForbiddenException":
      return new PermissionDenied({ message: `${detail}; you are not allowed this role` })
    case "TooManyRequestsException":
    case "SlowDownException":
    case "Throttling":
    case "ThrottlingException":
    case "RegionDisabledException":
      return new ResourceExhausted({ message: `${detail}; try again later` })
    case "ResourceNotFoundException":
      return new NotFound({ message: detail })
    case "InvalidRequestException":
    case "InvalidScopeException":
    case "ValidationError":
    case "MalformedPolicyDocument":
      return new InvalidArgument({ message: detail })
  }
  return new Unknown({ message: detail })
}
