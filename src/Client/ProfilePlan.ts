import { isAwsRegion } from "./AwsRegion.js"
import { type ProfileEntry, profileName, renderGroup, type ServerGroup, unwritableArgument } from "./ProfileBlock.js"

/** What the agent answered for one server whose profiles are to be written. */
export interface ListedServer {
  readonly id: string
  /** The server's own region (AWS IAM Identity Center's), if it has one. */
  readonly region: string | undefined
  /** Its role names, or why they could not be listed (a message that says what to do). */
  readonly roles: { readonly ok: true; readonly names: ReadonlyArray<string> } | {
    readonly ok: false
    readonly reason: string
  }
}

export interface ProfilePlanInput {
  /** The groups in the block now. */
  readonly previous: ReadonlyArray<ServerGroup>
  /** Profile names the file defines outside the block: never written by mairu. */
  readonly outside: ReadonlySet<string>
  readonly listed: ReadonlyArray<ListedServer>
  /** The ids of every server the agent has. */
  readonly configured: ReadonlySet<string>
  /** True when the user named the servers; else they are the ones with a session. */
  readonly named: boolean
  readonly prefix: string
  /** `--region`: beats each server's own. */
  readonly region: string | undefined
  /** The argv that runs mairu (see MairuProgram.ts). */
  readonly program: ReadonlyArray<string>
  /** The config file's path, for messages. */
  readonly file: string
}

export interface ProfilePlan {
  /** The block's new groups, by server id. */
  readonly groups: ReadonlyArray<ServerGroup>
  /** What to tell the user, one message each. */
  readonly messages: ReadonlyArray<string>
  /** Some server's roles could not be listed. */
  readonly failed: boolean
}

const profilesText = (count: number) => count === 1 ? "1 profile" : `${count} profiles`

/**
 * The block's new groups: a server whose roles were listed gets one profile per role; a server
 * whose roles could not be listed, or (listing every server) one without a session, keeps the
 * group it had; a server the agent no longer has loses its group. A profile name defined outside
 * the block, or already given to another role, is not written again.
 */
export const planProfiles = (input: ProfilePlanInput): ProfilePlan => {
  const messages: Array<string> = []
  const listedIds = new Set(input.listed.filter((server) => server.roles.ok).map((server) => server.id))
  const groups: Array<ServerGroup> = []
  const holder = new Map<string, string>()
  let failed = false

  for (const group of input.previous) {
    if (listedIds.has(group.serverId)) continue
    const count = profilesText(group.profiles.length)
    const listing = input.listed.find((server) => server.id === group.serverId)
    if (listing === undefined && !input.named && !input.configured.has(group.serverId)) {
      messages.push(`${group.serverId}: the agent no longer has this server; removed its ${count}.`)
      continue
    }
    if (listing === undefined && !input.named) {
      messages.push(
        `${group.serverId}: not logged in; kept its ${count} from before. ` +
          `To bring them up to date: mairu login ${group.serverId}, then mairu profiles`
      )
    }
    groups.push(group)
    for (const name of group.profiles) holder.set(name, `the profiles kept for ${group.serverId}`)
  }

  for (const server of input.listed) {
    const before = input.previous.find((group) => group.serverId === server.id)?.profiles ?? []
    if (!server.roles.ok) {
      failed = true
      messages.push(
        `${server.id}: its roles could not be listed: ${server.roles.reason}\n` +
          `${before.length === 0 ? "It has no profiles" : `Kept its ${profilesText(before.length)} from before`}; ` +
          `once that is fixed (usually with mairu login ${server.id}), run: mairu profiles ${server.id}`
      )
      continue
    }
    const badId = unwritableArgument(server.id)
    if (badId !== undefined) {
      messages.push(`server ${JSON.stringify(server.id)} gets no profiles: ${badId}.`)
      continue
    }
    let region = input.region ?? server.region
    if (region !== undefined && !isAwsRegion(region)) {
      messages.push(`${server.id}: its region ${JSON.stringify(region)} is not an AWS region; its profiles get none.`)
      region = undefined
    }
    const entries: Array<ProfileEntry> = []
    for (const role of [...server.roles.names].sort()) {
      const what = `role ${JSON.stringify(role)} of ${server.id}`
      const badRole = unwritableArgument(role)
      if (badRole !== undefined) {
        messages.push(`${what} gets no profile: ${badRole}.`)
        continue
      }
      const name = profileName(input.prefix, server.id, role)
      if (input.outside.has(name)) {
        messages.push(
          `warning: profile ${name} is defined in ${input.file} outside mairu's block: yours stays as it is, ` +
            `and ${what} gets no profile. To have both, rename yours or run: mairu profiles --prefix OTHER`
        )
        continue
      }
      const taken = holder.get(name)
      if (taken !== undefined) {
        messages.push(`warning: ${what} would be profile ${name}, which ${taken} has already; it gets none.`)
        continue
      }
      holder.set(name, what)
      entries.push({ name, role })
    }
    const group = renderGroup(server.id, entries, { program: input.program, region })
    if (entries.length > 0) groups.push(group)
    const added = group.profiles.filter((name) => !before.includes(name)).length
    const removed = before.filter((name) => !group.profiles.includes(name)).length
    messages.push(`${server.id}: ${added} added, ${removed} removed, ${group.profiles.length - added} kept.`)
  }

  groups.sort((a, b) => a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0)
  return { groups, messages, failed }
}
