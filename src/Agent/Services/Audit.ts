import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AuditEntry } from "../../Schemas/Audit.js"
import { type AuditRecord, makeAuditTrail } from "../AuditTrail.js"

/** Entries the agent keeps in memory; the oldest go first. */
export const MAX_AUDIT_ENTRIES = 10_000

export interface AuditStatus {
  readonly entries: number
  /** The file MAIRU_AUDIT_LOG names. */
  readonly file: string | undefined
  /** Why that file is not written. */
  readonly problem: string | undefined
}

/**
 * The audit trail of every credentials request the agent answered: in memory (the
 * last MAX_AUDIT_ENTRIES), and appended to the file MAIRU_AUDIT_LOG names.
 */
export interface AuditShape {
  readonly record: (entry: AuditRecord) => Effect.Effect<void>
  /** The entries after number `after`, oldest first, a page at a time; with `wait`, once there is one. */
  readonly read: (
    after: number,
    wait: boolean
  ) => Effect.Effect<{ readonly entries: ReadonlyArray<AuditEntry>; readonly more: boolean }>
  readonly status: Effect.Effect<AuditStatus>
}

export class Audit extends Context.Tag("mairu/Audit")<Audit, AuditShape>() {
  /** A trail for tests of what records: in memory only (`capacity` entries), each entry also pushed to `recorded`. */
  static layerTest = (
    options: { readonly capacity?: number; readonly recorded?: Array<AuditEntry> } = {}
  ) =>
    Layer.effect(
      Audit,
      Effect.map(
        makeAuditTrail(
          options.capacity ?? MAX_AUDIT_ENTRIES,
          (entry) => Effect.sync(() => void options.recorded?.push(entry))
        ),
        (trail) => ({
          record: trail.record,
          read: trail.read,
          status: Effect.map(trail.size, (entries) => ({ entries, file: undefined, problem: undefined }))
        })
      )
    )
}
