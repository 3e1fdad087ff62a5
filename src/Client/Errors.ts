import * as Schema from "effect/Schema"

/**
 * The failures of the commands themselves, which never cross the agent socket (those are
 * in src/Schemas/AgentErrors.ts). They carry what went wrong; src/Client/Failure.ts says it.
 */

/** A flag, argument or variable whose value cannot be used. */
export class InvalidOption extends Schema.TaggedError<InvalidOption>()("InvalidOption", {
  /** As the user spells it: `--duration`, `ID`, `MAIRU_LOCAL_PORT`. */
  option: Schema.String,
  value: Schema.String,
  problem: Schema.Literal(
    "NotADuration",
    "SessionDurationOutOfRange",
    "RoleDurationOutOfRange",
    "NotARegion",
    "DestinationHasBlanks",
    "DestinationLeavesConsole",
    "DestinationNotAUrl",
    "NotAConsolePage",
    "NotADestination",
    "NotAServerId",
    "NotAnIdentityCenterRegion",
    "NotAStartUrl",
    "InsecureStartUrl",
    "UnopenableUrl",
    "NotAPort"
  ),
  /** What the value amounts to (a duration's seconds), or why it is refused (an insecure URL's reason). */
  detail: Schema.optional(Schema.String)
}) {}

/** Flags that go together only with another, or not at all, or a part of the command line that is missing. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  problem: Schema.Literal(
    "NoCommand",
    "ChainDetailsWithoutRole",
    "JsonWithOtherFormat",
    "UrlWithRegion",
    "ForegroundWithDaemonize"
  ),
  /** The value the problem is about, when it has one (the destination URL). */
  value: Schema.optional(Schema.String)
}) {}

/** A role was named, but no server to ask for it. */
export class NoServer extends Schema.TaggedError<NoServer>()("NoServer", { role: Schema.String }) {}

/** `list-roles` was given a server twice, differently. */
export class TwoServers extends Schema.TaggedError<TwoServers>()("TwoServers", {
  option: Schema.String,
  argument: Schema.String
}) {}

/** No `.mairu.json` in `cwd` or above for the role `auto`. */
export class AutoConfigNotFound extends Schema.TaggedError<AutoConfigNotFound>()("AutoConfigNotFound", {
  cwd: Schema.String
}) {}

/** The `.mairu.json` at `path` (whose digest is `digest`) is not trusted, so its role is not used. */
export class TrustRefused extends Schema.TaggedError<TrustRefused>()("TrustRefused", {
  path: Schema.String,
  digest: Schema.String,
  /** DigestMismatch: `--confirm-trust` named another digest; NoTerminal: nobody to ask; Declined: the user said no. */
  reason: Schema.Literal("DigestMismatch", "NoTerminal", "Declined"),
  /** The digest `--confirm-trust` gave. */
  confirmed: Schema.optional(Schema.String),
  /** The command that approves the file as it is now. */
  approveCommand: Schema.String
}) {}

/** `setup-sso` would replace a server file without `--overwrite`. */
export class ServerFileExists extends Schema.TaggedError<ServerFileExists>()("ServerFileExists", {
  path: Schema.String
}) {}

export class FileNotWritten extends Schema.TaggedError<FileNotWritten>()("FileNotWritten", {
  path: Schema.String,
  reason: Schema.String
}) {}

/** The role's credentials cannot sign in to the AWS console. */
export class ConsoleSigninFailed extends Schema.TaggedError<ConsoleSigninFailed>()("ConsoleSigninFailed", {
  endpoint: Schema.String,
  /** NoSessionToken: long-term keys; Unreachable: the endpoint did not answer; Refused: it answered without a token. */
  problem: Schema.Literal("NoSessionToken", "Unreachable", "Refused"),
  status: Schema.optional(Schema.Number),
  reason: Schema.optional(Schema.String)
}) {}

/** The browser did not follow the console's one-time link in time. */
export class LinkNotFollowed extends Schema.TaggedError<LinkNotFollowed>()("LinkNotFollowed", {
  wait: Schema.String,
  /** The command that prints the sign-in URL instead. */
  printCommand: Schema.String
}) {}

/** No loopback port for the console's one-time link. */
export class LoopbackUnavailable extends Schema.TaggedError<LoopbackUnavailable>()("LoopbackUnavailable", {
  code: Schema.String
}) {}

/** A page of a login's challenge that may not be opened or shown: the server's fault. */
export class ServerPageRefused extends Schema.TaggedError<ServerPageRefused>()("ServerPageRefused", {
  serverId: Schema.String,
  /** The answer's field that held it (`verification_uri`, …). */
  field: Schema.String,
  reason: Schema.String
}) {}

export type ClientError =
  | InvalidOption
  | UsageError
  | NoServer
  | TwoServers
  | AutoConfigNotFound
  | TrustRefused
  | ServerFileExists
  | FileNotWritten
  | ConsoleSigninFailed
  | LinkNotFollowed
  | LoopbackUnavailable
  | ServerPageRefused
