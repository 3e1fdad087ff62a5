import * as Options from "@effect/cli/Options"
import { formatExpiration } from "../Credentials/CredentialProcessJson.js"
import type { SessionInfo } from "../Schemas/Session.js"

/** `--json`: machine-readable output with stable snake_case field names (documented in docs/commands.md). */
export const jsonOption = Options.boolean("json").pipe(
  Options.withDescription("Print JSON with stable field names instead of text")
)

export const sessionJson = (session: SessionInfo) => ({
  id: session.id,
  server_id: session.serverId,
  server_url: session.serverUrl,
  expires_at: formatExpiration(session.expiresAt),
  renews_at: session.renewsAt === undefined ? null : formatExpiration(session.renewsAt),
  refreshable: session.renewsAt !== undefined
})

export const printJson = (value: unknown) => JSON.stringify(value, null, 2) + "\n"
