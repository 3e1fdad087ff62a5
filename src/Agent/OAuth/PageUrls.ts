import * as Effect from "effect/Effect"
import { Unknown } from "../../Schemas/AgentErrors.js"
import { serverUrlRefusal } from "../../Schemas/UrlPolicy.js"

/**
 * The pages a login sends the user to, as the server named them (by field), checked
 * before the login is offered: one that may not be opened fails the login, as the
 * server's fault, and no client ever sees it.
 */
export const checkPageUrls = (serverId: string, pages: Record<string, string | undefined>) =>
  Effect.forEach(Object.entries(pages), ([field, url]) => {
    const refusal = url === undefined ? undefined : serverUrlRefusal(serverId, field, url)
    return refusal === undefined ? Effect.void : Effect.fail(new Unknown({ message: refusal }))
  }, { discard: true })
