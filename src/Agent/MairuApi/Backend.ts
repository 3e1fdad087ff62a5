import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as http from "node:http"
import {
  type AgentError,
  InvalidArgument,
  NotFound,
  PermissionDenied,
  ResourceExhausted,
  Unauthenticated,
  Unknown
} from "../../Schemas/AgentErrors.js"
import { type AwsCredentials, MairuAssumeRoleResponse, MairuRolesResponse } from "../../Schemas/Credentials.js"
import { resolveEndpoint, type ServerConfig } from "../../Schemas/ServerConfig.js"
import { decodeAnswer, excerpt, sendRetrying, type UpstreamResponse } from "./Upstream.js"

/** Maps a Mairu API status to the failure kind that crosses the socket, as the original Mairu does. */
const statusError = (server: ServerConfig, what: string, response: UpstreamResponse): AgentError => {
  const reason = http.STATUS_CODES[response.status]
  const detail = `${what}: ${server.url} answered ${response.status}${reason === undefined ? "" : ` ${reason}`}` +
    (response.text === "" ? "" : ` (${excerpt(response)})`)
  switch (response.status) {
    case 401:
      return new Unauthenticated({ serverId: server.id, message: `${detail}; the session is no longer valid` })
    case 403:
      return new PermissionDenied({ message: `${detail}; the server does not allow this role for you` })
    case 404:
      return new NotFound({ message: detail })
    case 400:
      return new InvalidArgument({ message: detail })
    case 429:
      return new ResourceExhausted({ message: `${detail}; try again later` })
    default:
      return new Unknown({ message: detail })
  }
}

/** The answer decoded, or an error naming the server and the wrong fields (never their values). */
const decodeBody = decodeAnswer

const bearer = (token: Redacted.Redacted<string>) => ({ authorization: `Bearer ${Redacted.value(token)}` })

export const mairuApiAssumeRole = (server: ServerConfig, accessToken: Redacted.Redacted<string>, role: string) =>
  Effect.gen(function*() {
    const what = `assume-role ${role} at ${server.id}`
    const request = HttpClientRequest.post(resolveEndpoint(server.url, "assume-role")).pipe(
      HttpClientRequest.setHeaders({ ...bearer(accessToken), accept: "application/json" }),
      HttpClientRequest.bodyUnsafeJson({ Role: role })
    )
    const response = yield* sendRetrying(server, request, what)
    if (response.status !== 200) return yield* Effect.fail(statusError(server, what, response))
    const body = yield* decodeBody(MairuAssumeRoleResponse, response, what)
    return {
      accessKeyId: body.AccessKeyId,
      secretAccessKey: Redacted.make(body.SecretAccessKey),
      sessionToken: body.SessionToken === undefined || body.SessionToken === ""
        ? undefined
        : Redacted.make(body.SessionToken),
      expiration: body.Expiration,
      noCache: body.Mairu?.NoCache ?? false
    } satisfies AwsCredentials
  })

export const mairuApiListRoles = (server: ServerConfig, accessToken: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const what = `list roles at ${server.id}`
    const request = HttpClientRequest.get(resolveEndpoint(server.url, "roles")).pipe(
      HttpClientRequest.setHeaders({ ...bearer(accessToken), accept: "application/json" })
    )
    const response = yield* sendRetrying(server, request, what)
    // A server without a list of roles: logged in, with nothing to list.
    if (response.status === 404 || response.status === 405) return []
    if (response.status !== 200) return yield* Effect.fail(statusError(server, what, response))
    const body = yield* decodeBody(MairuRolesResponse, response, what)
    return body.Roles.map((role) => ({ name: role.Name, description: role.Description ?? undefined }))
  })
