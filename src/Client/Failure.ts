import * as Effect from "effect/Effect"
import { autoConfigProblemText } from "../AutoConfig/AutoConfigFile.js"
import { ExitCode } from "../ProcessExit.js"
import { AgentError } from "../Schemas/AgentErrors.js"
import { ALLOWED_URLS, serverUrlRefusalText } from "../Schemas/UrlPolicy.js"
import { AgentUnavailable, AgentVersionMismatch } from "../Services/AgentClient.js"
import { AutoConfigUnusable } from "../Services/AutoConfigs.js"
import { Terminal } from "../Services/Terminal.js"
import { TrustNotRecorded } from "../Services/TrustStore.js"
import { describeFailure } from "../Terminal/Messages.js"
import { visibleLine } from "../Terminal/Visible.js"
import { MAX_SESSION_DURATION, MIN_SESSION_DURATION } from "./ConsoleTarget.js"
import {
  AutoConfigNotFound,
  ConsoleSigninFailed,
  FileNotWritten,
  InvalidOption,
  LinkNotFollowed,
  LoopbackUnavailable,
  NoServer,
  ServerFileExists,
  ServerPageRefused,
  TrustRefused,
  TwoServers,
  UsageError
} from "./Errors.js"

/** Every class of failure a command tells its user about, then exits 1. */
const REPORTED = [
  ...AgentError.members,
  AgentUnavailable,
  AgentVersionMismatch,
  AutoConfigUnusable,
  TrustNotRecorded,
  InvalidOption,
  UsageError,
  NoServer,
  TwoServers,
  AutoConfigNotFound,
  TrustRefused,
  ServerFileExists,
  FileNotWritten,
  ConsoleSigninFailed,
  LinkNotFollowed,
  LoopbackUnavailable,
  ServerPageRefused
] as const

export type CommandFailure = InstanceType<(typeof REPORTED)[number]>

/** By class, not by tag: the CLI framework's own errors share tags such as InvalidArgument. */
const isCommandFailure = (error: unknown): error is CommandFailure =>
  REPORTED.some((failure) => error instanceof failure)

const DESTINATION_FORMS = "give a service (s3), a console path (/s3/buckets) or an https URL under " +
  "https://console.aws.amazon.com/"

const invalidOptionText = ({ detail, option, problem, value }: InvalidOption): string => {
  const quoted = JSON.stringify(value)
  switch (problem) {
    case "NotADuration":
      return `${option} ${value} is not a duration: give seconds (3600) or hours and minutes (1h, 90m, 1h30m)`
    case "SessionDurationOutOfRange":
      return `${option} ${value} (${detail} seconds) is not within ${MIN_SESSION_DURATION} to ${MAX_SESSION_DURATION} ` +
        `seconds (15m to 12h), which AWS allows for a console session`
    case "RoleDurationOutOfRange":
      return `${option} ${value} is not within 900 to 43200`
    case "NotARegion":
      return `${option} ${value} is not an AWS region name such as us-east-1 or eu-west-2`
    case "DestinationHasBlanks":
      return `${option} ${quoted} holds blanks or control characters; ${DESTINATION_FORMS}`
    case "DestinationLeavesConsole":
      return `${option} ${quoted} leaves the console; ${DESTINATION_FORMS}`
    case "DestinationNotAUrl":
      return `${option} ${quoted} is not a URL; ${DESTINATION_FORMS}`
    case "NotAConsolePage":
      return `${option} ${quoted} is not an AWS console page; ${DESTINATION_FORMS}`
    case "NotADestination":
      return `${option} ${quoted} is not a destination; ${DESTINATION_FORMS}`
    case "NotAServerId":
      return `"${value}" cannot be a server id: use letters, digits, ".", "_" and "-"`
    case "NotAnIdentityCenterRegion":
      return `"${value}" is not an AWS region (like us-east-1)`
    case "NotAStartUrl":
      return `"${value}" is not a URL (like https://my-org.awsapps.com/start)`
    case "InsecureStartUrl":
      return `${option} ${value} ${detail}; use https (like https://my-org.awsapps.com/start)`
    case "UnopenableUrl":
      return `${option} ${detail}; mairu opens only ${ALLOWED_URLS}. Fix or unset it`
    case "NotAPort":
      return `${option}="${value}" is not a port number (1-65535)`
  }
}

const usageText = ({ problem, value }: UsageError): string => {
  switch (problem) {
    case "NoCommand":
      return "no command given: mairu exec [OPTIONS] ROLE COMMAND [ARGS…]"
    case "ChainDetailsWithoutRole":
      return "--assume-role-session-name, --assume-role-duration-seconds and --assume-role-external-id " +
        "need --assume-role ARN"
    case "JsonWithOtherFormat":
      return "--json is -o json; give one output format"
    case "UrlWithRegion":
      return `--destination ${JSON.stringify(value)} is a full URL, which already names the console page; ` +
        `drop --region, or give a service or a path with it`
    case "ForegroundWithDaemonize":
      return "--foreground and --daemonize contradict each other; run: mairu agent --foreground, or mairu agent"
  }
}

const trustText = ({ approveCommand, confirmed, path: file, reason }: TrustRefused): string => {
  const path = visibleLine(file)
  switch (reason) {
    case "DigestMismatch":
      return `--confirm-trust ${confirmed} does not match ${path} as it is now ` +
        `(it may have changed); review the file, then run:\n  ${approveCommand}`
    case "NoTerminal":
      return `${path} is not trusted yet and there is no terminal to ask on; review it, then run:\n` +
        `  ${approveCommand}`
    case "Declined":
      return `${path} was not trusted; the command was not run`
  }
}

const signinText = ({ endpoint, problem, reason, status }: ConsoleSigninFailed): string => {
  switch (problem) {
    case "NoSessionToken":
      return "these credentials have no session token, which the AWS console sign-in needs"
    case "Unreachable":
      return `cannot get a sign-in token from ${endpoint}: ${reason}`
    case "Refused":
      return `${endpoint} refused a sign-in token (HTTP ${status})`
  }
}

/** What the user is told about a failure: what happened and what to do next. */
export const failureText = (error: CommandFailure): string => {
  switch (error._tag) {
    case "InvalidOption":
      return invalidOptionText(error)
    case "UsageError":
      return usageText(error)
    case "NoServer":
      return `which server should give ${error.role}? Pass --server SERVER (or set MAIRU_SERVER), or use the role auto`
    case "TwoServers":
      return `two servers given (${error.option} and ${error.argument}); name one, as SERVER or --server`
    case "AutoConfigNotFound":
      return `no .mairu.json in ${
        visibleLine(error.cwd)
      } or any folder above it; create one, or name a role instead of auto`
    case "AutoConfigUnusable":
      return autoConfigProblemText(error.path, error.problem)
    case "TrustRefused":
      return trustText(error)
    case "TrustNotRecorded":
      return `cannot record the trust in ${error.trustDir}: ${error.reason}`
    case "ServerFileExists":
      return `${error.path} exists already; to replace it run the same command with --overwrite (-y)`
    case "FileNotWritten":
      return `cannot write ${error.path}: ${error.reason}`
    case "ConsoleSigninFailed":
      return signinText(error)
    case "LinkNotFollowed":
      return `the browser did not open the console sign-in link within ${error.wait}. ` +
        `To get the sign-in URL and open it yourself, run: ${error.printCommand}`
    case "ServerPageRefused":
      return serverUrlRefusalText(error.serverId, error.field, error.reason)
    case "LoopbackUnavailable":
      return `cannot listen on 127.0.0.1 for a one-time link (${error.code})`
    default:
      return describeFailure(error)
  }
}

/**
 * Tells the user about a command's failure on the terminal and ends with exit 1
 * (an ExitCode); other failures (the CLI framework's, an ExitCode) pass untouched.
 */
export const reportFailures = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, CommandFailure> | ExitCode, R | Terminal> =>
  Effect.catchAll(
    effect,
    (error): Effect.Effect<never, Exclude<E, CommandFailure> | ExitCode, Terminal> =>
      isCommandFailure(error)
        ? Effect.flatMap(Terminal, (terminal) => terminal.message(failureText(error))).pipe(
          Effect.zipRight(Effect.fail(new ExitCode({ code: 1 })))
        )
        : Effect.fail(error as Exclude<E, CommandFailure>)
  )
