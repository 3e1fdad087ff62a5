import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type { AgentError } from "../Schemas/AgentErrors.js"
import type { AgentRequest } from "../Schemas/AgentProtocol.js"

/**
 * Who is at the other end of a connection: a process of this machine, as the kernel
 * told when the connection was accepted; a client through a restricted socket (which
 * ssh or a container runtime may carry from anywhere); or nobody the agent can tell.
 */
export type Peer =
  | { readonly _tag: "Local"; readonly pid: number; readonly uid: number }
  | { readonly _tag: "Remote"; readonly socket: string }
  | { readonly _tag: "Unknown"; readonly reason: string }

/** What a connection's requests can see of it. */
export interface RequestContext {
  readonly peer: Peer
  /** Warnings for the user that the agent met while answering. */
  readonly notices: Array<string>
  /** Completes when the client's connection closes. */
  readonly closed: Effect.Effect<void>
  /** Completes once this request's answer has been written to the client, or the client has gone. */
  readonly answered: Effect.Effect<void>
}

/** The agent's answer to one request kind, typed by that request's own success and failure schemas. */
export type Handler<R extends AgentRequest> = (
  request: R,
  context: RequestContext
) => Effect.Effect<Schema.WithResult.Success<R>, Schema.WithResult.Failure<R>>

/** One handler per request tag: a missing handler, or an answer of the wrong shape, does not compile. */
export type Handlers = {
  readonly [Tag in AgentRequest["_tag"]]: Handler<Extract<AgentRequest, { readonly _tag: Tag }>>
}

/** Any request, answered by its tag's handler; the socket server encodes the answer with the request's schemas. */
export type Handle = (request: AgentRequest, context: RequestContext) => Effect.Effect<unknown, AgentError>

export const dispatch = (handlers: Handlers): Handle => (request, context) =>
  // TypeScript cannot relate a request's tag to the handler the table keeps under it.
  (handlers[request._tag] as Handler<AgentRequest>)(request, context)
