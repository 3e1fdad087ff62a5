import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * Opens URLs in the user's browser: with the `BROWSER` commands when set, else
 * with the desktop's opener when there is a desktop to show it on. The URL is on
 * the opener's command line, which other local users can read: never pass a secret.
 */
export interface BrowserShape {
  /**
   * True when the page was handed to a browser (a `BROWSER` command exited 0, or
   * the desktop opener started); false when the user has to open the URL, and for a
   * URL that the URL policy does not let mairu open (no opener is started for it).
   */
  readonly open: (url: string) => Effect.Effect<boolean>
}

export class Browser extends Context.Tag("mairu/Browser")<Browser, BrowserShape>() {}

/** For tests: `open` decides (by default no browser opens), `opened` records every URL asked for. */
export const layerTest = (
  opened: Array<string> = [],
  open: (url: string) => Effect.Effect<boolean> = () => Effect.succeed(false)
) =>
  Layer.succeed(Browser, {
    open: (url) =>
      Effect.suspend(() => {
        opened.push(url)
        return open(url)
      })
  })
