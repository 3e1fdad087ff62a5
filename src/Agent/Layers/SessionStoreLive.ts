import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { serverKey, type Session, SessionStore } from "../Services/SessionStore.js"

export const SessionStoreLive = Layer.sync(SessionStore, () => {
  const sessions = new Map<string, Session>()
  // Counted from 0, as the original Mairu's agent does.
  let nextId = 0
  return {
    get: (server) => Effect.sync(() => Option.fromNullable(sessions.get(serverKey(server)))),
    put: (server, tokens) =>
      Effect.sync(() => {
        const key = serverKey(server)
        const session: Session = { ...tokens, server, id: sessions.get(key)?.id ?? nextId++ }
        sessions.set(key, session)
        return session
      }),
    remove: (server) => Effect.sync(() => void sessions.delete(serverKey(server))),
    list: Effect.sync(() => [...sessions.values()].sort((a, b) => a.id - b.id))
  }
})
