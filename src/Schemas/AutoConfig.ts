import * as Schema from "effect/Schema"

export const ExecMode = Schema.Literal("ecs", "static")
export type ExecMode = typeof ExecMode.Type

/** `null` stands for an absent key, as the original Mairu reads it. */
const nullable = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { nullable: true })

/** `.mairu.json`, the `auto` role of a project. */
export const AutoConfigFile = Schema.Struct({
  server: Schema.NonEmptyString,
  role: Schema.NonEmptyString,
  mode: nullable(ExecMode),
  region: nullable(Schema.NonEmptyString),
  assume_role: nullable(Schema.Struct({
    role_arn: Schema.NonEmptyString,
    external_id: nullable(Schema.String),
    role_session_name: nullable(Schema.String),
    duration_seconds: nullable(Schema.Int.pipe(Schema.between(900, 43200)))
  }))
})
export type AutoConfigFile = typeof AutoConfigFile.Type

/** A `.mairu.json` found on disk: where, its exact bytes, and what they say. */
export interface AutoConfig {
  readonly path: string
  readonly bytes: Buffer
  readonly config: AutoConfigFile
}
