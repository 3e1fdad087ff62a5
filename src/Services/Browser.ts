import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/** Opens URLs in the user's browser when there is a desktop to show it on. */
export interface BrowserShape {
  /** True when the opener was started; false when the user has to open the URL (it is printed anyway). */
  readonly open: (url: string) => Effect.Effect<boolean>
}

export class Browser extends Context.Tag("mairu/Browser")<Browser, BrowserShape>() {}
