import { visible } from "./Visible.js"

/** ANSI colour and style sequences (SGR); other sequences are left to the renderer, which shows them. */
const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g")

/** NO_COLOR and FORCE_COLOR: set to anything but the empty string. */
export interface ColourPreference {
  readonly noColor: boolean
  readonly forceColor: boolean
}

export const colourPreference = (env: Readonly<Record<string, string | undefined>>): ColourPreference => ({
  noColor: (env.NO_COLOR ?? "") !== "",
  forceColor: (env.FORCE_COLOR ?? "") !== ""
})

/** Colour is for terminals only (or FORCE_COLOR), and never when NO_COLOR is set (https://no-color.org). */
export const colourAllowed = (stream: { readonly isTTY?: boolean }, preference: ColourPreference) =>
  (stream.isTTY === true || preference.forceColor) && !preference.noColor

/**
 * Removes colour from what is written to `stream` when colour is not allowed:
 * the CLI framework styles its help and errors unconditionally.
 */
export const stripColourUnlessAllowed = (stream: NodeJS.WriteStream, preference: ColourPreference) => {
  if (colourAllowed(stream, preference)) return
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: Array<unknown>) => boolean
  stream.write =
    ((chunk: unknown, ...rest: Array<unknown>) =>
      write(typeof chunk === "string" ? chunk.replace(ANSI, "") : chunk, ...rest)) as typeof stream.write
}

/** Colour only: `ESC [ … m`. */
const SGR = new RegExp("(" + String.fromCharCode(27) + "\\[[0-9;]*m)")

/**
 * Passes what is written to `stream` (the CLI framework's help and argument errors,
 * which quote argv) through the terminal renderer. Where colour is allowed, the
 * framework's colour sequences are kept; every other control character is shown escaped.
 */
export const renderWrites = (stream: NodeJS.WriteStream, preference: ColourPreference) => {
  const keepColour = colourAllowed(stream, preference)
  const render = (text: string) =>
    keepColour ? text.split(SGR).map((part, i) => (i % 2 === 1 ? part : visible(part))).join("") : visible(text)
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: Array<unknown>) => boolean
  stream.write =
    ((chunk: unknown, ...rest: Array<unknown>) =>
      write(typeof chunk === "string" ? render(chunk) : chunk, ...rest)) as typeof stream.write
}
