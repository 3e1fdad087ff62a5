import { makeScrubber } from "../Plain/Scrub.js"
import {
  type AgentError,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  ResourceExhausted,
  Unauthenticated,
  Unknown
} from "../Schemas/AgentErrors.js"

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

/** An AWS SDK failure as a failure kind of the agent protocol, by HTTP status first, then by name. */
export const fromSdkError = (serverId: string, what: string, error: unknown): AgentError => {
  const e = asSdkError(error)
  const detail = `${what}: ${e.name ?? "error"}${e.message ? `: ${e.message}` : ""}`
  const status = e.$metadata?.httpStatusCode
  if (status === 401 || e.name === "UnauthorizedException" || e.name === "ExpiredTokenException") {
    return new Unauthenticated({ serverId, message: `${detail}; the session is no longer valid` })
  }
  if (status === 403 || e.name === "ForbiddenException" || e.name === "AccessDeniedException") {
    return new PermissionDenied({ message: `${detail}; you are not allowed this role` })
  }
  if (status === 429 || e.name === "TooManyRequestsException" || e.name === "SlowDownException") {
    return new ResourceExhausted({ message: `${detail}; try again later` })
  }
  if (e.name === "ResourceNotFoundException") return new NotFound({ message: detail })
  if (e.name === "InvalidRequestException" || e.name === "InvalidScopeException") {
    return new InvalidArgument({ message: detail })
  }
  return new Unknown({ message: detail })
}
