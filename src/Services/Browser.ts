import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

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
