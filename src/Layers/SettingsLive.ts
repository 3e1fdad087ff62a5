import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Settings, settingsConfig, type SettingsShape } from "../Services/Settings.js"

/**
 * The settings, from the process's environment (or, in tests, whatever ConfigProvider
 * is in place). The one module that reads `process.env`: the raw environment is kept
 * only to hand on to the commands mairu runs and the agent it starts.
 */
export const SettingsLive = Layer.effect(
  Settings,
  Effect.map(Effect.orDie(settingsConfig), (settings): SettingsShape => ({ ...settings, environment: process.env }))
)

/** The variables the Effect-free modules (the fast paths' wire, launcher and files) read, rebuilt from the settings. */
export const plainEnvironment = (settings: SettingsShape): Record<string, string | undefined> => ({
  ...settings.environment,
  HOME: settings.home,
  XDG_CONFIG_HOME: Option.getOrUndefined(settings.xdgConfigHome),
  XDG_STATE_HOME: Option.getOrUndefined(settings.xdgStateHome),
  XDG_RUNTIME_DIR: Option.getOrUndefined(settings.xdgRuntimeDir),
  MAIRU_AGENT_SOCK: Option.getOrUndefined(settings.agentSocket),
  MAIRU_NO_AUTO_AGENT: settings.noAutoAgent ? "1" : undefined
})
