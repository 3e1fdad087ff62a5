import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { AgentError } from "../../Schemas/AgentErrors.js"
import type { AssumeRoleChain } from "../../Schemas/AgentProtocol.js"
import type { AwsCredentials } from "../../Schemas/Credentials.js"

/** Role chaining: `sts:AssumeRole` with a first hop's credentials, for `--assume-role` and `assume_role`. */
export interface RoleChainShape {
  readonly assume: (firstHop: AwsCredentials, chain: AssumeRoleChain) => Effect.Effect<AwsCredentials, AgentError>
}

export class RoleChain extends Context.Tag("mairu/RoleChain")<RoleChain, RoleChainShape>() {
  /** Simulated STS for tests: the second hop's credentials are `FIRST>ROLE_ARN`, and expire with the first hop's. */
  static Test = Layer.succeed(RoleChain, {
    assume: (firstHop, chain) =>
      Effect.succeed({
        accessKeyId: `${firstHop.accessKeyId}>${chain.roleArn}`,
        secretAccessKey: Redacted.make("chained-secret"),
        sessionToken: undefined,
        expiration: firstHop.expiration,
        noCache: false
      })
  })
}

/** The session part of a caller ARN (`arn:aws:sts::1:assumed-role/R/alice` → `alice`), made a valid session name. */
export const sessionNameFromArn = (arn: string): string | undefined => {
  const last = arn.split("/").at(-1)
  if (last === undefined || !arn.includes("/")) return undefined
  return validSessionName(last)
}

/** A RoleSessionName STS accepts (2 to 64 of `[\w+=,.@-]`), or undefined. */
export const validSessionName = (name: string | undefined): string | undefined => {
  if (name === undefined) return undefined
  const cleaned = name.replace(/[^\w+=,.@-]/g, "-").slice(0, 64)
  return cleaned.length >= 2 ? cleaned : undefined
}
