import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type AwsConfigFile, awsConfigPath, readAwsConfig, writeAwsConfig } from "../Client/AwsConfigFile.js"
import { isAwsRegion } from "../Client/AwsRegion.js"
import { reportFailures } from "../Client/Failure.js"
import { mairuProgram } from "../Client/MairuProgram.js"
import {
  type ConfigText,
  parseConfigText,
  profilesOutside,
  renderBlock,
  type ServerGroup,
  withBlock
} from "../Client/ProfileBlock.js"
import { type ListedServer, planProfiles } from "../Client/ProfilePlan.js"
import { ExitCode } from "../ProcessExit.js"
import { InvalidArgument } from "../Schemas/AgentErrors.js"
import { ListRoles, ListServers, ListSessions, ResolveServer, type ServerSummary } from "../Schemas/AgentProtocol.js"
import { AgentClient } from "../Services/AgentClient.js"
import { Settings } from "../Services/Settings.js"
import { Terminal } from "../Services/Terminal.js"
import { describeFailure } from "../Terminal/Messages.js"

const profileCount = (groups: ReadonlyArray<ServerGroup>) =>
  groups.reduce((sum, group) => sum + group.profiles.length, 0)

/** The file as the user knows it, and where it really is when a symbolic link leads there. */
const fileLabel = (file: AwsConfigFile) => file.real === file.path ? file.path : `${file.path} (a link to ${file.real})`

/** Writes `content` unless the file holds it already; says which. */
const save = (file: AwsConfigFile, content: Buffer, done: string) =>
  Effect.gen(function*() {
    const terminal = yield* Terminal
    const unchanged = Option.match(file.bytes, {
      onNone: () => content.length === 0,
      onSome: (bytes) => Buffer.compare(bytes, content) === 0
    })
    if (unchanged) return yield* terminal.message(`${fileLabel(file)} is up to date: nothing to change.`)
    yield* writeAwsConfig(file, content)
    yield* terminal.message(done)
  })

const removeProfiles = (file: AwsConfigFile, config: ConfigText, servers: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const terminal = yield* Terminal
    const previous = config.groups ?? []
    const dropped = servers.length === 0 ? previous : previous.filter((group) => servers.includes(group.serverId))
    if (config.groups === undefined || (servers.length > 0 && dropped.length === 0)) {
      return yield* terminal.message(
        `${fileLabel(file)} has no profiles from mairu${servers.length === 0 ? "" : ` for ${servers.join(", ")}`}: ` +
          "nothing to remove."
      )
    }
    const kept = previous.filter((group) => !dropped.includes(group))
    yield* save(
      file,
      withBlock(config, kept),
      kept.length === 0
        ? `Removed mairu's block (${profileCount(dropped)} profiles) from ${fileLabel(file)}.`
        : `Removed the ${profileCount(dropped)} profiles of ${dropped.map((group) => group.serverId).join(", ")} ` +
          `from ${fileLabel(file)}.`
    )
  })

/** The servers to write profiles for: the ones named, else every one with a session. */
const chooseServers = (names: ReadonlyArray<string>, known: ReadonlyArray<ServerSummary>) =>
  Effect.gen(function*() {
    const agent = yield* AgentClient
    if (names.length > 0) {
      const resolved = yield* Effect.forEach(names, (server) => agent.call(new ResolveServer({ server })))
      return resolved.filter((server, index) => resolved.findIndex((s) => s.id === server.id) === index)
    }
    const sessions = yield* agent.call(new ListSessions())
    return known.filter((server) => sessions.some((s) => s.serverId === server.id && s.serverUrl === server.url))
  })

const listRoles = (server: ServerSummary) =>
  Effect.flatMap(AgentClient, (agent) => agent.call(new ListRoles({ server: server.id }))).pipe(
    Effect.map((roles): ListedServer["roles"] => ({ ok: true, names: roles.map((role) => role.name) })),
    Effect.catchIf(
      (error) => error._tag !== "AgentUnavailable" && error._tag !== "AgentVersionMismatch",
      (error) => Effect.succeed<ListedServer["roles"]>({ ok: false, reason: describeFailure(error) })
    ),
    Effect.map((roles): ListedServer => ({ id: server.id, region: server.region, roles }))
  )

export const profilesCommand = Command.make(
  "profiles",
  {
    prefix: Options.text("prefix").pipe(
      Options.withDescription("The first part of every profile name"),
      Options.withDefault("mairu")
    ),
    region: Options.text("region").pipe(
      Options.withDescription("The profiles' region, instead of each server's own (AWS IAM Identity Center's)"),
      Options.optional
    ),
    print: Options.boolean("print").pipe(
      Options.withDescription("Print the block of profiles instead of writing it; no file changes")
    ),
    remove: Options.boolean("remove").pipe(
      Options.withDescription("Take mairu's block (or only the named servers' profiles) out of the file")
    ),
    servers: Args.text({ name: "SERVER" }).pipe(
      Args.withDescription("Server id or url; every server with a session when omitted"),
      Args.repeated
    )
  },
  ({ prefix, print, region, remove, servers: names }) =>
    Effect.gen(function*() {
      const terminal = yield* Terminal
      const settings = yield* Settings
      if (print && remove) {
        return yield* new InvalidArgument({ message: "--print and --remove do opposite things; give one of them" })
      }
      if (Option.isSome(region) && !isAwsRegion(region.value)) {
        return yield* new InvalidArgument({
          message: `--region ${region.value} is not an AWS region name such as us-east-1 or eu-west-2`
        })
      }
      const file = yield* readAwsConfig(awsConfigPath(settings.home, settings.awsConfigFile), {
        home: settings.home,
        forWriting: !print
      })
      const parsed = parseConfigText(
        Buffer.from(Option.getOrElse(file.bytes, () => new Uint8Array())).toString("latin1")
      )
      if ("problem" in parsed) {
        return yield* terminal.message(
          `${fileLabel(file)} is left as it is: ${parsed.problem}. ` +
            "Put its mairu profiles markers right (or delete them with the block between), then run the command again."
        ).pipe(Effect.zipRight(new ExitCode({ code: 1 })))
      }
      const config = parsed.config
      if (remove) return yield* removeProfiles(file, config, names)

      const agent = yield* AgentClient
      const known = yield* agent.call(new ListServers())
      const chosen = yield* chooseServers(names, known.servers)
      if (chosen.length === 0 && names.length === 0) {
        yield* terminal.message(
          known.servers.length === 0
            ? `The agent has no servers: add a file to its ${known.serversDir} or run: mairu setup-sso`
            : "No server has a session, so there are no roles to list. Log in with: mairu login SERVER, " +
              "then run: mairu profiles"
        )
      }
      const listed = yield* Effect.forEach(chosen, listRoles)
      const plan = planProfiles({
        previous: config.groups ?? [],
        outside: profilesOutside(config),
        listed,
        configured: new Set(known.servers.map((server) => server.id)),
        named: names.length > 0,
        prefix,
        region: Option.getOrUndefined(region),
        program: yield* mairuProgram,
        file: file.path
      })
      for (const message of plan.messages) yield* terminal.message(message)
      if (print) {
        if (plan.groups.length > 0) yield* terminal.product(renderBlock(plan.groups))
      } else if (plan.groups.length > 0 || config.groups !== undefined) {
        const example = plan.groups[0]?.profiles[0]
        yield* save(
          file,
          withBlock(config, plan.groups),
          example === undefined
            ? `Removed mairu's block from ${fileLabel(file)}: no profiles are left in it.`
            : `Wrote ${profileCount(plan.groups)} profiles to ${fileLabel(file)}; ` +
              `a tool takes one by its name, e.g. AWS_PROFILE=${example}`
        )
      }
      if (plan.failed) return yield* new ExitCode({ code: 1 })
    }).pipe(
      Effect.catchTag("AwsConfigFileError", (error) =>
        Effect.flatMap(Terminal, (terminal) =>
          terminal.message(error.message)).pipe(
            Effect.zipRight(new ExitCode({ code: 1 }))
          )),
      reportFailures
    )
).pipe(Command.withDescription(
  "Write a profile per role into the AWS config file (AWS_CONFIG_FILE, else ~/.aws/config), in a block that " +
    "mairu keeps up to date: every server with a session, or the ones named."
))
