import * as Effect from "effect/Effect"
import { unopenableUrlReason } from "../Schemas/UrlPolicy.js"
import { isAwsRegion } from "./AwsRegion.js"
import { InvalidOption, UsageError } from "./Errors.js"

/** What `mairu console` asks the federation endpoint for. */
export interface ConsoleTarget {
  readonly federationEndpoint: string
  /** The console page to land on (the federation `Destination`). */
  readonly destination: string
  /** The console session's length in seconds (the federation `SessionDuration`). */
  readonly sessionDuration: number
}

export interface ConsoleFlags {
  readonly region: string | undefined
  readonly destination: string | undefined
  readonly duration: string | undefined
}

/** MAIRU_FEDERATION_ENDPOINT and MAIRU_CONSOLE_DESTINATION, when set. */
export interface ConsoleOverrides {
  readonly federationEndpoint: string | undefined
  readonly consoleDestination: string | undefined
}

export const MIN_SESSION_DURATION = 900
export const MAX_SESSION_DURATION = 43200
export const DEFAULT_SESSION_DURATION = 3600

const SERVICE = /^[a-z0-9][a-z0-9-]*$/

/** The console and sign-in hosts of the partition a region belongs to. */
const partitionOf = (region: string | undefined) =>
  region?.startsWith("cn-")
    ? { console: "console.amazonaws.cn", signin: "signin.amazonaws.cn", regionalHost: false }
    : region?.startsWith("us-gov-")
    ? { console: "console.amazonaws-us-gov.com", signin: "signin.amazonaws-us-gov.com", regionalHost: false }
    : { console: "console.aws.amazon.com", signin: "signin.aws.amazon.com", regionalHost: true }

const CONSOLE_HOSTS = ["console.aws.amazon.com", "console.amazonaws.cn", "console.amazonaws-us-gov.com"]

const isConsoleHost = (host: string) =>
  CONSOLE_HOSTS.some((console) => host === console || host.endsWith(`.${console}`))

/** Seconds from `3600`, `3600s`, `90m`, `1h` or `1h30m`. */
export const parseDuration = (text: string): number | undefined => {
  if (/^\d+$/.test(text)) return Number(text)
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text)
  if (match === null || text === "") return undefined
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0)
}

const invalid = (option: string, value: string, problem: InvalidOption["problem"], detail?: string) =>
  Effect.fail(new InvalidOption({ option, value, problem, ...(detail === undefined ? {} : { detail }) }))

/**
 * The federation request `mairu console` makes for these flags: `--region`
 * picks the console's region (and partition), `--destination` a service, a path
 * or a console URL, `--duration` the session's length. Without `--region` and
 * `--destination`, `MAIRU_CONSOLE_DESTINATION` (else the console home) is the page.
 */
export const consoleTarget = (flags: ConsoleFlags, overrides: ConsoleOverrides) =>
  Effect.gen(function*() {
    let sessionDuration = DEFAULT_SESSION_DURATION
    if (flags.duration !== undefined) {
      const seconds = parseDuration(flags.duration.trim())
      if (seconds === undefined) {
        return yield* invalid("--duration", flags.duration, "NotADuration")
      }
      if (seconds < MIN_SESSION_DURATION || seconds > MAX_SESSION_DURATION) {
        return yield* invalid("--duration", flags.duration, "SessionDurationOutOfRange", String(seconds))
      }
      sessionDuration = seconds
    }
    const region = flags.region
    if (region !== undefined && !isAwsRegion(region)) {
      return yield* invalid("--region", region, "NotARegion")
    }
    for (const [name, url] of Object.entries(overrides)) {
      if (url === undefined) continue
      const reason = unopenableUrlReason(url)
      if (reason !== undefined) {
        const variable = name === "federationEndpoint" ? "MAIRU_FEDERATION_ENDPOINT" : "MAIRU_CONSOLE_DESTINATION"
        return yield* invalid(variable, url, "UnopenableUrl", reason)
      }
    }
    const partition = partitionOf(region)
    const federationEndpoint = overrides.federationEndpoint ?? `https://${partition.signin}/federation`
    const origin = `https://${region !== undefined && partition.regionalHost ? `${region}.` : ""}${partition.console}`
    const withRegion = (url: URL) => {
      if (region !== undefined && !url.searchParams.has("region")) url.searchParams.set("region", region)
      return url.toString()
    }
    const destination = flags.destination
    if (destination === undefined) {
      if (region === undefined) {
        return { federationEndpoint, destination: overrides.consoleDestination ?? `${origin}/`, sessionDuration }
      }
      return { federationEndpoint, destination: withRegion(new URL(`${origin}/console/home`)), sessionDuration }
    }
    if (SERVICE.test(destination)) {
      return { federationEndpoint, destination: withRegion(new URL(`${origin}/${destination}/home`)), sessionDuration }
    }
    if (destination.startsWith("/") && !destination.startsWith("//")) {
      if (
        /[\s\\]/.test(destination) || [...destination].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
      ) {
        return yield* invalid("--destination", destination, "DestinationHasBlanks")
      }
      const url = new URL(destination, origin)
      if (url.origin !== origin) {
        return yield* invalid("--destination", destination, "DestinationLeavesConsole")
      }
      return { federationEndpoint, destination: withRegion(url), sessionDuration }
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(destination)) {
      let url: URL
      try {
        url = new URL(destination)
      } catch {
        return yield* invalid("--destination", destination, "DestinationNotAUrl")
      }
      if (
        url.protocol !== "https:" || !isConsoleHost(url.hostname) || url.username !== "" || url.password !== "" ||
        url.port !== ""
      ) {
        return yield* invalid("--destination", destination, "NotAConsolePage")
      }
      if (region !== undefined) {
        return yield* new UsageError({ problem: "UrlWithRegion", value: destination })
      }
      return { federationEndpoint, destination: url.toString(), sessionDuration }
    }
    return yield* invalid("--destination", destination, "NotADestination")
  })
