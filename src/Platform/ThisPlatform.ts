import { linux } from "./Linux.js"
import { macOs } from "./MacOs.js"
import type { Platform } from "./Platform.js"

/** The platform mairu runs on, chosen once. Windows never gets here (see main.ts). */
export const platform: Platform = process.platform === "darwin" ? macOs : linux
