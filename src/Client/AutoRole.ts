import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { AutoConfig } from "../AutoConfig/AutoConfigFile.js"
import { AutoConfigs } from "../Services/AutoConfigs.js"
import { Terminal } from "../Services/Terminal.js"
import { TrustStore } from "../Services/TrustStore.js"
import { visibleLine } from "../Terminal/Visible.js"
import { AutoConfigNotFound, TrustRefused } from "./Errors.js"

/** Every field of the file that changes what is assumed, for the trust prompt. */
const describe = (auto: AutoConfig) => {
  const { assume_role, mode, region, role, server } = auto.config
  return [
    `  server: ${server}`,
    `  role:   ${role}`,
    ...(mode === undefined ? [] : [`  mode:   ${mode}`]),
    ...(region === undefined ? [] : [`  region: ${region}`]),
    ...(assume_role === undefined ? [] : [
      `  then assume: ${assume_role.role_arn}`,
      ...(assume_role.external_id === undefined ? [] : [`    external id:  ${assume_role.external_id}`]),
      ...(assume_role.role_session_name === undefined ? [] : [`    session name: ${assume_role.role_session_name}`]),
      ...(assume_role.duration_seconds === undefined ? [] : [`    duration:     ${assume_role.duration_seconds} s`])
    ])
  ].join("\n")
}

/** The nearest `.mairu.json`, or an error saying where it was looked for. */
export const findAutoConfig = (cwd: string) =>
  Effect.flatMap(AutoConfigs, (configs) => configs.find(cwd)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new AutoConfigNotFound({ cwd })),
      onSome: Effect.succeed
    }))
  )

/**
 * Makes sure the user trusts this exact file: a record, a matching `--confirm-trust`
 * digest, or a "yes" on the terminal. Without a terminal it fails and names the
 * command that approves it (`approveCommand(digest)`).
 */
export const ensureTrusted = (
  auto: AutoConfig,
  confirmDigest: Option.Option<string>,
  approveCommand: (digest: string) => string
) =>
  Effect.gen(function*() {
    const trust = yield* TrustStore
    const terminal = yield* Terminal
    if (yield* trust.isTrusted(auto)) return
    const digest = trust.digest(auto)
    const refused = (reason: TrustRefused["reason"]) =>
      new TrustRefused({
        path: auto.path,
        digest,
        reason,
        ...Option.match(confirmDigest, { onNone: () => ({}), onSome: (confirmed) => ({ confirmed }) }),
        approveCommand: approveCommand(digest)
      })
    if (Option.isSome(confirmDigest)) {
      if (confirmDigest.value !== digest) return yield* refused("DigestMismatch")
      return yield* trust.trust(auto)
    }
    yield* terminal.message(`${visibleLine(auto.path)} asks mairu for credentials:\n${describe(auto)}`)
    const answer = yield* terminal.prompt("Trust this file? (yes/no) ")
    if (Option.isNone(answer)) return yield* refused("NoTerminal")
    if (answer.value.toLowerCase() !== "yes") return yield* refused("Declined")
    yield* trust.trust(auto)
  })
