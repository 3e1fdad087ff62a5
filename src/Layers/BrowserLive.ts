import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import { Browser } from "../Services/Browser.js"

type Env = Readonly<Record<string, string | undefined>>

const set = (value: string | undefined) => value !== undefined && value !== ""

/**
 * The command that opens a URL here, or undefined: never over SSH, never when
 * `MAIRU_NO_BROWSER` is set, and on Linux only with a display.
 */
export const browserOpener = (env: Env, platform: NodeJS.Platform): string | undefined => {
  if (set(env.MAIRU_NO_BROWSER) || set(env.SSH_CONNECTION) || set(env.SSH_TTY)) return undefined
  if (platform === "darwin") return "open"
  if (platform === "win32") return undefined
  return set(env.DISPLAY) || set(env.WAYLAND_DISPLAY) ? "xdg-open" : undefined
}

export const BrowserLive = Layer.succeed(Browser, {
    open: (url) =>
      Effect.async<boolean>((resume) => {
        const opener = browserOpener(process.env, process.platform)
        if (opener === undefined) return resume(Effect.succeed(false))
        const child = spawn(opener, [url], { detached: true, stdio: "ignore" })
        child.once("error", () => resume(Effect.succeed(false)))
        child.once("spawn", () => {
          child.unref()
          resume(Effect.succeed(true))
        })
      })
})
