import { hasControlCharacters } from "../Terminal/Visible.js"
import { credentialProcessLine } from "./CredentialProcessLine.js"

/**
 * The block of profiles that `mairu profiles` keeps in an AWS config file. The file is
 * handled as latin1 text, one character per byte, so that every byte outside the block is
 * written back as it was read; the block itself is UTF-8.
 *
 *     # BEGIN mairu profiles
 *     # Managed by mairu: …
 *
 *     # server "local"
 *     [profile mairu-local-demo]
 *     credential_process = /usr/bin/node /…/dist/mairu.cjs credential-process local demo
 *
 *     # END mairu profiles
 *
 * When the file did not end with a line break, mairu adds one before the block and says so
 * on the BEGIN line, so that taking the block out restores the file byte for byte.
 */

export const BEGIN = "# BEGIN mairu profiles"
export const END = "# END mairu profiles"
const ADDED_BREAK = " (after a line break that mairu added)"
const INTRO =
  "# Managed by mairu: `mairu profiles` may regenerate this block, `mairu profiles --remove` deletes it.\n" +
  "# Edits inside it are lost: write your own profiles outside it.\n\n"
const GROUP = /^# server ("(?:[^"\\]|\\.)*")$/
const PROFILE = /^\[profile ([^\]\s]+)\]$/

/** One server's profiles in the block, as its lines (from its `# server` line) and their names. */
export interface ServerGroup {
  readonly serverId: string
  readonly text: string
  readonly profiles: ReadonlyArray<string>
}

export interface ConfigText {
  /** The file's bytes before the block (all of them when there is no block), as latin1. */
  readonly before: string
  /** The file's bytes after the block, as latin1. */
  readonly after: string
  /** The block's server groups, when the file has a block. */
  readonly groups: ReadonlyArray<ServerGroup> | undefined
  /** mairu added the line break before the block (the file did not end with one). */
  readonly addedBreak: boolean
}

const lineText = (line: string) => line.replace(/\r?\n$/, "").replace(/\r$/, "")

/** The lines of `text`, each with its line break. */
const linesOf = (text: string): Array<string> => text.match(/[^\n]*\n|[^\n]+$/g) ?? []

const parseGroups = (block: string): Array<ServerGroup> => {
  const groups: Array<{ serverId: string; lines: Array<string> }> = []
  for (const line of linesOf(block)) {
    const header = GROUP.exec(lineText(line))
    if (header !== null) groups.push({ serverId: JSON.parse(header[1]!) as string, lines: [line] })
    else groups.at(-1)?.lines.push(line)
  }
  return groups.map(({ lines, serverId }) => ({
    serverId,
    text: lines.join(""),
    profiles: lines.flatMap((line) => {
      const match = PROFILE.exec(lineText(line))
      return match === null ? [] : [match[1]!]
    })
  }))
}

/**
 * Splits a config file's bytes (as latin1) around mairu's block; or says what is wrong when its
 * markers do not make one block, in which case mairu must leave the file alone.
 */
export const parseConfigText = (latin1: string): { readonly config: ConfigText } | { readonly problem: string } => {
  const lines = linesOf(latin1)
  const begins: Array<number> = []
  const ends: Array<number> = []
  lines.forEach((line, index) => {
    const text = lineText(line)
    if (text.startsWith(BEGIN)) begins.push(index)
    else if (text === END) ends.push(index)
  })
  if (begins.length === 0 && ends.length === 0) {
    return { config: { before: latin1, after: "", groups: undefined, addedBreak: false } }
  }
  if (begins.length !== 1 || ends.length !== 1 || ends[0]! < begins[0]!) {
    return {
      problem: `it has ${begins.length} "${BEGIN}" and ${ends.length} "${END}" lines, not one of each in that order`
    }
  }
  const [begin, end] = [begins[0]!, ends[0]!]
  const offset = (index: number) => lines.slice(0, index).reduce((sum, line) => sum + line.length, 0)
  const start = offset(begin)
  const addedBreak = lineText(lines[begin]!).endsWith(ADDED_BREAK) && latin1[start - 1] === "\n"
  return {
    config: {
      before: latin1.slice(0, addedBreak ? start - 1 : start),
      after: latin1.slice(offset(end + 1)),
      groups: parseGroups(Buffer.from(lines.slice(begin + 1, end).join(""), "latin1").toString("utf8")),
      addedBreak
    }
  }
}

/**
 * The file's new bytes with `groups` as mairu's block: in place of the old block, else at the
 * end; without a block when `groups` is empty.
 */
export const withBlock = (config: ConfigText, groups: ReadonlyArray<Pick<ServerGroup, "text">>): Buffer => {
  if (groups.length === 0) {
    // The line break mairu added goes with the block, unless the user wrote something after it.
    const rest = config.addedBreak && config.after !== "" ? "\n" + config.after : config.after
    return Buffer.concat([Buffer.from(config.before, "latin1"), Buffer.from(rest, "latin1")])
  }
  const addedBreak = config.groups === undefined
    ? config.before !== "" && !config.before.endsWith("\n")
    : config.addedBreak
  return Buffer.concat([
    Buffer.from(config.before, "latin1"),
    Buffer.from(renderBlock(groups, addedBreak), "utf8"),
    Buffer.from(config.after, "latin1")
  ])
}

/** The block, from its BEGIN line to its END line (after the line break mairu adds, if it adds one). */
export const renderBlock = (groups: ReadonlyArray<Pick<ServerGroup, "text">>, addedBreak = false): string =>
  `${addedBreak ? "\n" : ""}${BEGIN}${addedBreak ? ADDED_BREAK : ""}\n${INTRO}` +
  groups.map((group) => group.text).join("") + `${END}\n`

/**
 * The profile names the file defines outside mairu's block: `[profile NAME]` (also quoted, as
 * botocore reads it) and `[NAME]` (which the SDK for JavaScript takes for a profile too).
 */
export const profilesOutside = (config: ConfigText): ReadonlySet<string> => {
  const names = new Set<string>()
  for (const line of linesOf(config.before + config.after)) {
    const section = /^\s*\[\s*(.*?)\s*\]/.exec(lineText(line))?.[1]
    if (section === undefined) continue
    const words = /^(\S+)\s+(.*)$/.exec(section)
    if (words === null) names.add(section)
    else if (words[1] === "profile") names.add(words[2]!.replace(/^(["'])(.*)\1$/, "$2"))
  }
  return names
}

/** `PREFIX-SERVER-ROLE` lowercased, every character outside `[a-z0-9._-]` made `-`; an empty prefix is left out. */
export const profileName = (prefix: string, serverId: string, role: string): string =>
  [prefix, serverId, role].filter((part) => part !== "").join("-").toLowerCase().replace(/[^a-z0-9._-]/gu, "-")

/** Why a server id or role cannot be written as an argument of `mairu credential-process`, if it cannot. */
export const unwritableArgument = (text: string): string | undefined =>
  text === ""
    ? "it is empty"
    : hasControlCharacters(text)
    ? "it holds control characters, which a config file cannot carry"
    : text.startsWith("-")
    ? "it starts with \"-\", which mairu credential-process would take for an option"
    : undefined

export interface ProfileEntry {
  readonly name: string
  readonly role: string
}

/** One server's group: its `# server` line, then a profile per entry running `program credential-process`. */
export const renderGroup = (
  serverId: string,
  entries: ReadonlyArray<ProfileEntry>,
  options: { readonly program: ReadonlyArray<string>; readonly region: string | undefined }
): ServerGroup => ({
  serverId,
  profiles: entries.map((entry) => entry.name),
  text: `# server ${JSON.stringify(serverId)}\n` + entries.map((entry) =>
    `[profile ${entry.name}]\n` +
    `credential_process = ${
      credentialProcessLine([...options.program, "credential-process", serverId, entry.role])
    }\n` +
    (options.region === undefined ? "" : `region = ${options.region}\n`) + "\n"
  ).join("")
})
