import { credentialProcessJson } from "../Credentials/CredentialProcessJson.js"
import { resolvePaths } from "../Files/XdgPaths.js"
import { describeFailure, userMessages, writeProduct } from "../Terminal/Messages.js"
import { callAgent, type EncodedRequest } from "./AgentCall.js"
import { type EncodedCredentials, fromEncoded } from "./EncodedCredentials.js"

/**
 * The fast path of `mairu credential-process SERVER ROLE`: AWS tools run it on
 * every start, so it speaks the agent protocol with nothing but Node built-ins
 * (no Effect runtime, no CLI framework) and lets the agent look the server up in
 * its own configuration.
 * It answers exactly as the full path does; for anything it does not handle
 * (other options, no agent running yet) it returns undefined and the full CLI runs.
 */

interface Parsed {
  readonly server: string
  readonly role: string
  readonly noCache: boolean
}

const parse = (args: ReadonlyArray<string>): Parsed | undefined => {
  const noCache = args[0] === "--no-cache"
  const rest = noCache ? args.slice(1) : args
  if (rest.length !== 2 || rest.some((arg) => arg.startsWith("-"))) return undefined
  return { server: rest[0]!, role: rest[1]!, noCache }
}

/** Runs the fast path; the exit code, or undefined when the full CLI must handle it. */
export const runFastCredentialProcess = async (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  version: string
): Promise<number | undefined> => {
  const parsed = parse(args)
  if (parsed === undefined) return undefined
  const paths = resolvePaths(env)
  const request: EncodedRequest = {
    _tag: "GetCredentials",
    server: parsed.server,
    role: parsed.role,
    assumeRole: undefined,
    noCache: parsed.noCache,
    via: "credential-process"
  }
  const answers = await callAgent(paths.socketPath, [request], { version, start: false, env })
  if (answers === "not-running") return undefined
  const tell = userMessages()
  if (answers._tag === "AgentUnavailable") {
    tell(describeFailure(answers))
    return 1
  }
  const answer = answers.results[0]!
  for (const notice of answer.notices) tell(notice)
  if (!answer.ok) {
    tell(describeFailure(answer.failure))
    return 1
  }
  writeProduct(credentialProcessJson(fromEncoded(answer.value as EncodedCredentials)) + "\n")
  return 0
}
