import * as Schema from "effect/Schema"

export const ExecMode = Schema.Literal("ecs", "static")
export type ExecMode = typeof ExecMode.Type

/** `.mairu.json`, the `auto` role of a project. */
export const AutoConfigFile = Schema.Struct({
  server: Schema.NonEmptyString,
  role: Schema.NonEmptyString,
  mode: Schema.optional(ExecMode),
  region: Schema.optional(Schema.NonEmptyString),
  assume_role: Schema.optional(Schema.Struct({
    role_arn: Schema.NonEmptyString,
    external_id: Schema.optional(Schema.String),
    role_session_name: Schema.optional(Schema.String),
    duration_seconds: Schema.optional(Schema.Int.pipe(Schema.between(900, 43200)))
  }))
})
export type AutoConfigFile = typeof AutoConfigFile.Type

/** A `.mairu.json` found on disk: where, its exact bytes, and what they say. */
export interface AutoConfig {
  readonly path: string
  readonly bytes: Buffer
  readonly config: AutoConfigFile
}
