import type { AutoConfigFile } from "../../src/AutoConfig/AutoConfigFile.js"
import { autoDigest } from "../../src/AutoConfig/AutoFile.js"

/** Bad `.mairu.json` contents, and what is said about each: the fast path and the full CLI read them alike. */
export const BAD_AUTO_CONFIGS: ReadonlyArray<readonly [content: string, said: string]> = [
  ["[]", "the file: expected an object"],
  ["{}", "server: is missing; role: is missing"],
  [JSON.stringify({ server: "", role: 1 }), "server: expected a non-empty string; role: expected a non-empty string"],
  [JSON.stringify({ server: "s", role: "r", mode: "docker" }), "mode: expected \"ecs\" or \"static\""],
  [JSON.stringify({ server: "s", role: "r", region: "" }), "region: expected a non-empty string"],
  [JSON.stringify({ server: "s", role: "r", assume_role: "arn" }), "assume_role: expected an object"],
  [
    JSON.stringify({ server: "s", role: "r", assume_role: { duration_seconds: 900.5, external_id: 7 } }),
    "assume_role.role_arn: is missing; assume_role.external_id: expected a string; " +
    "assume_role.duration_seconds: expected an integer from 900 to 43200"
  ],
  [
    JSON.stringify({ server: "s", role: "r", assume_role: { role_arn: "a", duration_seconds: 43201 } }),
    "assume_role.duration_seconds: expected an integer from 900 to 43200"
  ]
]

/** A `.mairu.json` as found at `file` with this content (nothing is written), and its digest. */
export const autoConfigAt = (file: string, content: AutoConfigFile) => {
  const bytes = Buffer.from(JSON.stringify(content))
  return { path: file, bytes, config: content, digest: autoDigest(file, bytes) }
}
