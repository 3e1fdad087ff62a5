import * as ConfigProvider from "effect/ConfigProvider"
import * as Layer from "effect/Layer"
import { SettingsLive } from "../../src/Layers/SettingsLive.js"

/** The Settings service as the given environment variables make it, and nothing else. */
export const settingsFrom = (variables: Record<string, string> = {}) =>
  SettingsLive.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(variables))))))
