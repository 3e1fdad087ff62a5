import * as Effect from "effect/Effect"

/** The AWS SDK clients are loaded on first use: commands that never talk to AWS do not pay for them. */
export const loadSsoOidc = Effect.promise(() => import("@aws-sdk/client-sso-oidc"))
export const loadSso = Effect.promise(() => import("@aws-sdk/client-sso"))
export const loadSts = Effect.promise(() => import("@aws-sdk/client-sts"))
