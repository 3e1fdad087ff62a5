import { readOwnFile } from "../Files/FileOwner.js"
import type { AssumeRoleChain } from "../Schemas/AgentProtocol.js"
import { visibleLine } from "../Terminal/Visible.js"
import { AUTO_CONFIG_NAME, controlCharacterField } from "./AutoFile.js"

/**
 * The one reading of a `.mairu.json`, for the fast `exec` and the full CLI alike:
 * its bytes (the user's own file only), its JSON, and its fields.
 */

export type ExecMode = "ecs" | "static"

/** `.mairu.json`, the `auto` role of a project; a key set to `null` counts as absent, as in the original Mairu. */
export interface AutoConfigFile {
  readonly server: string
  readonly role: string
  readonly mode?: ExecMode
  readonly region?: string
  readonly assume_role?: {
    readonly role_arn: string
    readonly external_id?: string
    readonly role_session_name?: string
    readonly duration_seconds?: number
  }
}

/** A `.mairu.json` found on disk: where, its exact bytes, and what they say. */
export interface AutoConfig {
  readonly path: string
  readonly bytes: Buffer
  readonly config: AutoConfigFile
}

/** Why a `.mairu.json` is not used. */
export type AutoConfigProblem =
  /** Another user owns it: anyone can leave one in a shared folder such as /tmp. */
  | { readonly _tag: "NotOwned"; readonly reason: string }
  | { readonly _tag: "Unreadable"; readonly reason: string }
  | { readonly _tag: "NotJson"; readonly reason: string }
  /** A key or a string holds control characters, which could disguise what the file asks for. */
  | { readonly _tag: "ControlCharacters"; readonly field: string }
  /** Fields of the wrong kind, each as `path: what was expected`. */
  | { readonly _tag: "NotValid"; readonly issues: ReadonlyArray<string> }

export type Decoded<A> = { readonly ok: true; readonly value: A } | {
  readonly ok: false
  readonly issues: Array<string>
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

type Check<A> = (value: unknown) => value is A

const nonEmptyString: Check<string> = (value): value is string => typeof value === "string" && value !== ""
const anyString: Check<string> = (value): value is string => typeof value === "string"
const execMode: Check<ExecMode> = (value): value is ExecMode => value === "ecs" || value === "static"
const roleDuration: Check<number> = (value): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 900 && value <= 43200

/**
 * The fields of an object, each checked; a field `null` or absent is left out unless
 * it is required. Collects every issue rather than stopping at the first.
 */
const fields = (
  object: Record<string, unknown>,
  at: string,
  issues: Array<string>,
  specs: ReadonlyArray<readonly [key: string, check: Check<unknown>, expected: string, required: boolean]>
): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, check, expected, required] of specs) {
    const value = object[key]
    if (value === undefined || value === null) {
      if (required) issues.push(`${at}${key}: is missing`)
    } else if (check(value)) {
      out[key] = value
    } else {
      issues.push(`${at}${key}: expected ${expected}`)
    }
  }
  return out
}

const A_NAME = "a non-empty string"

/** The fields of a `.mairu.json` from its parsed JSON, or every issue with them. Unknown keys are ignored. */
export const decodeAutoConfigFile = (json: unknown): Decoded<AutoConfigFile> => {
  if (!isObject(json)) return { ok: false, issues: ["the file: expected an object"] }
  const issues: Array<string> = []
  const top = fields(json, "", issues, [
    ["server", nonEmptyString, A_NAME, true],
    ["role", nonEmptyString, A_NAME, true],
    ["mode", execMode, "\"ecs\" or \"static\"", false],
    ["region", nonEmptyString, A_NAME, false]
  ])
  const chain = json.assume_role
  if (chain !== undefined && chain !== null) {
    if (isObject(chain)) {
      top.assume_role = fields(chain, "assume_role.", issues, [
        ["role_arn", nonEmptyString, A_NAME, true],
        ["external_id", anyString, "a string", false],
        ["role_session_name", anyString, "a string", false],
        ["duration_seconds", roleDuration, "an integer from 900 to 43200", false]
      ])
    } else {
      issues.push("assume_role: expected an object")
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: top as unknown as AutoConfigFile }
}

/** The `.mairu.json` at `file`, read and decoded, or why it is not used. */
export const loadAutoConfig = (
  file: string
): { readonly ok: true; readonly auto: AutoConfig } | { readonly ok: false; readonly problem: AutoConfigProblem } => {
  const read = readOwnFile(file, { notWritableByOthers: false })
  if (!read.ok) return { ok: false, problem: { _tag: read.foreign ? "NotOwned" : "Unreadable", reason: read.reason } }
  let json: unknown
  try {
    json = JSON.parse(read.bytes.toString("utf8"))
  } catch (error) {
    return { ok: false, problem: { _tag: "NotJson", reason: (error as Error).message } }
  }
  const field = controlCharacterField(json)
  if (field !== undefined) return { ok: false, problem: { _tag: "ControlCharacters", field } }
  const decoded = decodeAutoConfigFile(json)
  if (!decoded.ok) return { ok: false, problem: { _tag: "NotValid", issues: decoded.issues } }
  return { ok: true, auto: { path: file, bytes: read.bytes, config: decoded.value } }
}

/** What the user is told about a `.mairu.json` that is not used. */
export const autoConfigProblemText = (path: string, problem: AutoConfigProblem): string => {
  // A newline in a folder's name must not start a line of its own (a fake `:: mairu ::` line, say).
  const file = visibleLine(path)
  switch (problem._tag) {
    case "NotOwned":
      return `${file} is not used: ${problem.reason}. mairu never uses a ${AUTO_CONFIG_NAME} that another user owns; ` +
        `work in a folder of your own, or name the role: mairu exec --server SERVER ROLE …`
    case "Unreadable":
      return `cannot read ${file}: ${visibleLine(problem.reason)}`
    case "NotJson":
      return `${file} is not valid JSON (${visibleLine(problem.reason)})`
    case "ControlCharacters":
      return `${file} is not a valid ${AUTO_CONFIG_NAME}: ${
        visibleLine(problem.field)
      } holds control characters, which could ` +
        `disguise what it asks for; mairu does not use it. Review the file and remove them.`
    case "NotValid":
      return `${file} is not a valid ${AUTO_CONFIG_NAME}: ${problem.issues.join("; ")}`
  }
}

/** The role chain a `.mairu.json` asks for, as the agent protocol spells it. */
export const chainOf = (file: AutoConfigFile): AssumeRoleChain | undefined =>
  file.assume_role === undefined ? undefined : {
    roleArn: file.assume_role.role_arn,
    roleSessionName: file.assume_role.role_session_name,
    durationSeconds: file.assume_role.duration_seconds,
    externalId: file.assume_role.external_id
  }
