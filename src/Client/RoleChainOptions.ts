import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AssumeRoleChain } from "../Schemas/AgentProtocol.js"
import { InvalidOption, UsageError } from "./Errors.js"

/** The role-chaining options shared by `exec` and `credential-process`. */
export const roleChainOptions = {
  assumeRole: Options.text("assume-role").pipe(
    Options.withDescription("ARN of a role to assume with the first hop's credentials (sts:AssumeRole)"),
    Options.optional
  ),
  assumeRoleSessionName: Options.text("assume-role-session-name").pipe(
    Options.withDescription("Session name for --assume-role (default: from the first hop's identity, then $USER)"),
    Options.optional
  ),
  assumeRoleDurationSeconds: Options.integer("assume-role-duration-seconds").pipe(
    Options.withDescription("Session duration for --assume-role, 900 to 43200 seconds"),
    Options.optional
  ),
  assumeRoleExternalId: Options.text("assume-role-external-id").pipe(
    Options.withDescription("External id for --assume-role"),
    Options.optional
  )
}

export interface RoleChainFlags {
  readonly assumeRole: Option.Option<string>
  readonly assumeRoleSessionName: Option.Option<string>
  readonly assumeRoleDurationSeconds: Option.Option<number>
  readonly assumeRoleExternalId: Option.Option<string>
}

/**
 * The chain the flags ask for, on top of `base` (a `.mairu.json` `assume_role`);
 * flags win field by field. Fails when a detail is given without a role to assume.
 */
export const chainFromFlags = (flags: RoleChainFlags, base: AssumeRoleChain | undefined = undefined) =>
  Effect.gen(function*() {
    const roleArn = Option.getOrUndefined(flags.assumeRole) ?? base?.roleArn
    const details: Array<Option.Option<unknown>> = [
      flags.assumeRoleSessionName,
      flags.assumeRoleDurationSeconds,
      flags.assumeRoleExternalId
    ]
    if (roleArn === undefined) {
      if (details.some((detail) => Option.isSome(detail))) {
        return yield* new UsageError({ problem: "ChainDetailsWithoutRole" })
      }
      return undefined
    }
    const duration = Option.getOrUndefined(flags.assumeRoleDurationSeconds) ?? base?.durationSeconds
    if (duration !== undefined && (duration < 900 || duration > 43200)) {
      return yield* new InvalidOption({
        option: "--assume-role-duration-seconds",
        value: String(duration),
        problem: "RoleDurationOutOfRange"
      })
    }
    return {
      roleArn,
      roleSessionName: Option.getOrUndefined(flags.assumeRoleSessionName) ?? base?.roleSessionName,
      durationSeconds: duration,
      externalId: Option.getOrUndefined(flags.assumeRoleExternalId) ?? base?.externalId
    } satisfies AssumeRoleChain
  })
