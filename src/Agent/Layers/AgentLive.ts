import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Layer from "effect/Layer"
import { AuditLive } from "./AuditLive.js"
import { CredentialBackendLive } from "./CredentialBackendLive.js"
import { CredentialCacheLive } from "./CredentialCacheLive.js"
import { CredentialsLive } from "./CredentialsLive.js"
import { KnownSecretsLive } from "./KnownSecretsLive.js"
import { LoginsLive } from "./LoginsLive.js"
import { OAuthLive } from "./OAuthLive.js"
import { RoleChainLive } from "./RoleChainLive.js"
import { RoleRefresherLive } from "./RoleRefresherLive.js"
import { SessionsLive } from "./SessionsLive.js"
import { SessionStoreLive } from "./SessionStoreLive.js"
import { SsoRegistrationsLive } from "./SsoRegistrationsLive.js"

/**
 * The agent's own logic (sessions, logins, credentials and keeping them warm, over
 * its memory-only store and cache, and the audit trail of what it hands out), on the
 * services that reach servers: OAuth, CredentialBackend and RoleChain, the secrets known to
 * be scrubbed from what servers say (KnownSecrets), and the agent's Settings.
 */
export const AgentLogicLive = RoleRefresherLive.pipe(
  Layer.provideMerge(Layer.merge(LoginsLive, CredentialsLive)),
  Layer.provideMerge(SessionsLive),
  Layer.provideMerge(Layer.mergeAll(SessionStoreLive, CredentialCacheLive, AuditLive))
)

/** The whole agent: its logic on the servers' protocols (HTTP, the AWS SDK) and the SSO registrations it keeps. */
export const AgentLive = AgentLogicLive.pipe(
  Layer.provideMerge(Layer.mergeAll(CredentialBackendLive, OAuthLive, RoleChainLive)),
  Layer.provideMerge(SsoRegistrationsLive),
  Layer.provideMerge(KnownSecretsLive),
  Layer.provide(NodeHttpClient.layer)
)
