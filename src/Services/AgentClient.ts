import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { AgentRequest } from "../Schemas/AgentProtocol.js"

/** No agent answers and none could be started (or `MAIRU_NO_AUTO_AGENT` forbids it). */
export class AgentUnavailable extends Data.TaggedError("AgentUnavailable")<{ readonly message: string }> {}

/** The running agent is of another version than this client. */
export class AgentVersionMismatch extends Data.TaggedError("AgentVersionMismatch")<{
  readonly agentVersion: string
  readonly clientVersion: string
}> {}

export type AgentCallError = AgentUnavailable | AgentVersionMismatch

export interface AgentClientShape {
  /** Sends one request to the agent (starting one if needed) and decodes its typed answer. */
  readonly call: <Req extends AgentRequest>(
    request: Req
  ) => Effect.Effect<Schema.WithResult.Success<Req>, Schema.WithResult.Failure<Req> | AgentCallError>
  /**
   * Sends one request whose effect lasts as long as its connection (a restricted
   * socket): the connection stays open until the scope closes; `closed` completes
   * if the agent closes it first.
   */
  readonly hold: <Req extends AgentRequest>(
    request: Req
  ) => Effect.Effect<
    { readonly value: Schema.WithResult.Success<Req>; readonly closed: Effect.Effect<void> },
    Schema.WithResult.Failure<Req> | AgentCallError,
    Scope.Scope
  >
  /** True when an agent answers at the socket; never starts one. */
  readonly ping: Effect.Effect<boolean>
  /** Starts an agent in the background (even with `MAIRU_NO_AUTO_AGENT`) and waits for it to answer. */
  readonly start: Effect.Effect<void, AgentUnavailable>
}

export class AgentClient extends Context.Tag("mairu/AgentClient")<AgentClient, AgentClientShape>() {}
