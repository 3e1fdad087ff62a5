import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import { Browser } from "../Services/Browser.js"
import { Settings, type SettingsShape } from "../Services/Settings.js"

/**
 * The command that opens a URL here, or undefined: never over SSH, never when
 * `MAIRU_NO_BROWSER` is set, and on Linux only with a display.
 */
export const browserOpener = (
  settings: Pick<SettingsShape, "noBrowser" | "overSsh" | "desktop">,
  platform: NodeJS.Platform
): string | undefined => {
  if (settings.noBrowser || settings.overSsh) return undefined
  if (platform === "darwin") return "open"
  if (platform === "win32") return undefined
  return settings.desktop ? "xdg-open" : undefined
}

export const BrowserLive = Layer.effect(
  Browser,
  Effect.map(Settings, (settings) => ({
    open: (url: string) =>
      Effect.async<boolean>((resume) => {
        const opener = browserOpener(settings, process.platform)
        if (opener === undefined) return resume(Effect.succeed(false))
        const child = spawn(opener, [url], { detached: true, stdio: "ignore" })
        child.once("error", () => resume(Effect.succeed(false)))
        child.once("spawn", () => {
          child.unref()
          resume(Effect.succeed(true))
        })
      })
  }))
)
