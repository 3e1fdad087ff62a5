import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { AUDIT_PAGE } from "../Schemas/AgentProtocol.js"
import type { AuditEntry } from "../Schemas/Audit.js"

/** An entry before the trail numbers it. */
export type AuditRecord = Omit<AuditEntry, "seq">

/**
 * The last `capacity` audit entries in memory, numbered from 1: a ring that
 * overwrites the oldest. `onRecord` sees each entry as it is kept (the audit file);
 * readers can wait for the next one.
 */
export const makeAuditTrail = (capacity: number, onRecord: (entry: AuditEntry) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const slots: Array<AuditEntry> = []
    /** Where the oldest entry is once the ring is full. */
    let oldest = 0
    const latest = yield* SubscriptionRef.make(0)
    let last = 0

    const page = (after: number) => {
      const first = last - slots.length + 1
      const from = Math.max(after + 1, first)
      const count = Math.max(Math.min(last - from + 1, AUDIT_PAGE), 0)
      const entries = Array.from({ length: count }, (_, i) => slots[(oldest + from - first + i) % slots.length]!)
      return { entries, more: from + count <= last }
    }

    const record = (entry: AuditRecord) =>
      Effect.suspend(() => {
        const numbered: AuditEntry = { seq: ++last, ...entry }
        if (slots.length < capacity) slots.push(numbered)
        else {
          slots[oldest] = numbered
          oldest = (oldest + 1) % capacity
        }
        return onRecord(numbered).pipe(Effect.zipRight(SubscriptionRef.set(latest, numbered.seq)))
      })

    /** A cursor from an agent that has since restarted (beyond the last entry) reads from the start. */
    const read = (after: number, wait: boolean) =>
      Effect.gen(function*() {
        const from = after > last ? 0 : after
        if (wait && last <= from) {
          yield* latest.changes.pipe(Stream.filter((seq) => seq > from), Stream.take(1), Stream.runDrain)
        }
        return page(from)
      })

    return { record, read, size: Effect.sync(() => slots.length) }
  })
