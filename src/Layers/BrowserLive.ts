import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { spawn } from "node:child_process"
import type { Platform } from "../Platform/Platform.js"
import { platform } from "../Platform/ThisPlatform.js"
import { unopenableUrlReason } from "../Schemas/UrlPolicy.js"
import { Browser } from "../Services/Browser.js"
import { Settings, type SettingsShape } from "../Services/Settings.js"

/** How a page is opened: the user's `BROWSER` commands, else the desktop's opener. */
export type BrowserOpener =
  | { readonly _tag: "BrowserVariable"; readonly commands: ReadonlyArray<string> }
  | { readonly _tag: "Desktop"; readonly command: string }

/**
 * The way to open a URL here, or undefined. `MAIRU_NO_BROWSER` always wins; a
 * `BROWSER` the user set is honoured everywhere (over SSH too: it is their
 * choice); else `open` on macOS, `xdg-open` on Linux with a display, never over SSH.
 */
export const browserOpener = (
  settings: Pick<SettingsShape, "noBrowser" | "overSsh" | "desktop" | "browser">,
  on: Platform = platform
): BrowserOpener | undefined => {
  if (settings.noBrowser) return undefined
  const commands = Option.getOrElse(settings.browser, () => "").split(":").map((command) => command.trim())
    .filter((command) => command !== "")
  if (commands.length > 0) return { _tag: "BrowserVariable", commands }
  if (settings.overSsh) return undefined
  const command = on.desktopOpener(settings.desktop)
  return command === undefined ? undefined : { _tag: "Desktop", command }
}

/** Splits one `BROWSER` entry into words: blanks separate, single and double quotes group, backslash escapes. */
const words = (command: string): Array<string> => {
  const out: Array<string> = []
  let word: string | undefined
  let quote: "'" | "\"" | undefined
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!
    if (quote === undefined && /\s/.test(c)) {
      if (word !== undefined) out.push(word)
      word = undefined
    } else if (quote === undefined && (c === "'" || c === "\"")) {
      quote = c
      word ??= ""
    } else if (c === quote) {
      quote = undefined
    } else if (c === "\\" && quote !== "'" && i + 1 < command.length) {
      word = (word ?? "") + command[++i]
    } else {
      word = (word ?? "") + c
    }
  }
  if (word !== undefined) out.push(word)
  return out
}

/**
 * The argv of one `BROWSER` entry for `url`: `%s` is replaced by the URL (`%%`
 * is a percent sign); without a `%s` the URL is the last argument. No shell runs it.
 */
export const browserArgv = (command: string, url: string): Array<string> => {
  const parts = words(command)
  let substituted = false
  const argv = parts.map((part) =>
    part.replace(/%([%s])/g, (_match, which: string) => {
      if (which === "%") return "%"
      substituted = true
      return url
    })
  )
  return substituted ? argv : [...argv, url]
}

/**
 * Runs one `BROWSER` command in the foreground, as other CLIs do (a text browser
 * gets the terminal); its stdout goes to stderr so that it never mixes with a
 * command's product, and a piped stdin stays for the command `exec` runs.
 * True when it exited 0.
 */
const runBrowserCommand = (argv: ReadonlyArray<string>) =>
  Effect.async<boolean>((resume) => {
    if (argv.length === 0) return resume(Effect.succeed(false))
    const stdin = process.stdin.isTTY ? "inherit" : "ignore"
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [stdin, 2, "inherit"] })
    child.once("error", () => resume(Effect.succeed(false)))
    child.once("exit", (code) => resume(Effect.succeed(code === 0)))
  })

const runDesktopOpener = (command: string, url: string) =>
  Effect.async<boolean>((resume) => {
    const child = spawn(command, [url], { detached: true, stdio: "ignore" })
    child.once("error", () => resume(Effect.succeed(false)))
    child.once("spawn", () => {
      child.unref()
      resume(Effect.succeed(true))
    })
  })

/** Tries each `BROWSER` command in turn until one succeeds. */
const runBrowserCommands = (commands: ReadonlyArray<string>, url: string): Effect.Effect<boolean> =>
  commands.length === 0
    ? Effect.succeed(false)
    : Effect.flatMap(
      runBrowserCommand(browserArgv(commands[0]!, url)),
      (opened) => opened ? Effect.succeed(true) : runBrowserCommands(commands.slice(1), url)
    )

export const BrowserLive = Layer.effect(
  Browser,
  Effect.map(Settings, (settings) => ({
    open: (url: string) =>
      Effect.suspend(() => {
        const opener = browserOpener(settings)
        // The last guard: callers check server URLs first and say whose fault a refused one is.
        if (opener === undefined || unopenableUrlReason(url) !== undefined) return Effect.succeed(false)
        return opener._tag === "BrowserVariable"
          ? runBrowserCommands(opener.commands, url)
          : runDesktopOpener(opener.command, url)
      })
  }))
)
