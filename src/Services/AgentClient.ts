import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { AgentRequest } from "../Schemas/AgentProtocol.js"
import type { AgentUnavailableFailure } from "../Wire/AgentWire.js"

/**
 * No agent answers and none could be started (or `MAIRU_NO_AUTO_AGENT` forbids it): the
 * wire's AgentUnavailableFailure, which the fast paths use as it is, as a typed error.
 */
export class AgentUnavailable extends Data.TaggedError("AgentUnavailable")<Omit<AgentUnavailableFailure, "_tag">> {
  static fromWire(failure: AgentUnavailableFailure) {
    return new AgentUnavailable({ message: failure.message })
  }
}

/** The running agent is of another version than this client. */
export class AgentVersionMismatch extends Data.TaggedError("AgentVersionMismatch")<{
  readonly agentVersion: string
  readonly clientVersion: string
}> {}

export type AgentCallError = AgentUnavailable | AgentVersionMismatch

export interface AgentClientShape {
  /**
   * Sends one request to the agent (starting one if needed, unless `start` is false: then
   * AgentUnavailable when none runs) and decodes its typed answer.
   */
  readonly call: <Req extends AgentRequest>(
    request: Req,
    options?: { readonly start?: boolean }
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

/** How a fake agent answers a request: its success, or its typed failure. */
export type FakeAgent = (request: AgentRequest) => Effect.Effect<unknown, unknown>

/**
 * For tests: an agent that `answer` stands for (a held request stays open until its
 * scope closes); `running` is whether one answers before it is asked to start.
 */
export const layerTest = (answer: FakeAgent, options: { readonly running?: boolean } = {}) =>
  Layer.sync(AgentClient, () => {
    let running = options.running ?? true
    return {
      call: (request, options) =>
        Effect.suspend(() => {
          if (options?.start === false && !running) {
            return Effect.fail(new AgentUnavailable({ message: "no agent is running" }))
          }
          running = true
          return answer(request)
        }) as never,
      hold: (request) =>
        Effect.suspend(() => {
          running = true
          return Effect.map(answer(request), (value) => ({ value, closed: Effect.never }))
        }) as never,
      ping: Effect.sync(() => running),
      start: Effect.sync(() => void (running = true))
    }
  })
