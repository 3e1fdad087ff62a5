import { layerTest } from "../../src/Services/Settings.js"

/** The Settings service as the given environment variables make it, and nothing else. */
export const settingsFrom = layerTest
