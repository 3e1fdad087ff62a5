import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { AUDIT_PAGE } from "../Schemas/AgentProtocol.js"
import type { AuditEntry, ParentProcess, ProcessDescription, Requester } from "../Schemas/Audit.js"

/** An entry before the trail numbers it. */
export type AuditRecord = Omit<AuditEntry, "seq">

/** Distinct values of each kind the trail shares at most; beyond that it starts sharing afresh. */
const MAX_SHARED = 4096

/** A table of values by key that forgets them all when full. */
const sharedBy = <K, V>() => {
  const table = new Map<K, V>()
  return (key: K, make: () => V): V => {
    const known = table.get(key)
    if (known !== undefined) return known
    if (table.size >= MAX_SHARED) table.clear()
    const value = make()
    table.set(key, value)
    return value
  }
}

/**
 * Entries repeat a few values: the server and role, the AccessKeyId of cached credentials, and
 * the requester's executable, command line, folder and parents, which each request reads anew
 * (so each would be a copy of its own). The trail keeps one copy of each, and an entry a third
 * of the memory (about 320 bytes rather than 950 on Linux); what an entry says is unchanged.
 */
export const makeSharing = () => {
  const texts = sharedBy<string, string>()
  const parentsByKey = sharedBy<string, ParentProcess>()
  const chainsByKey = sharedBy<string, ReadonlyArray<ParentProcess>>()
  const text = <A extends string | undefined>(value: A): A =>
    value === undefined ? value : texts(value, () => value) as A
  const parent = (value: ParentProcess): ParentProcess => parentsByKey(`${value.pid} ${value.command}`, () => value)
  const chain = (value: ReadonlyArray<ParentProcess>): ReadonlyArray<ParentProcess> =>
    chainsByKey(value.map((each) => `${each.pid} ${each.command}`).join("\0"), () => value.map(parent))
  const process = (value: ProcessDescription | undefined): ProcessDescription | undefined =>
    value === undefined ? undefined : {
      ...value,
      executable: text(value.executable),
      argv: text(value.argv),
      cwd: text(value.cwd),
      parents: chain(value.parents)
    }
  const requester = (value: Requester): Requester => ({
    ...value,
    process: process(value.process),
    reportedBy: value.reportedBy === undefined ? undefined : parent(value.reportedBy),
    socket: text(value.socket)
  })
  return (record: AuditRecord): AuditRecord => ({
    ...record,
    server: text(record.server),
    role: text(record.role),
    accessKeyId: text(record.accessKeyId),
    requester: requester(record.requester)
  })
}

/**
 * The last `capacity` audit entries in memory, numbered from 1: a ring that
 * overwrites the oldest. `onRecord` sees each entry as it is kept (the audit file);
 * readers can wait for the next one.
 */
export const makeAuditTrail = (capacity: number, onRecord: (entry: AuditEntry) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const slots: Array<AuditEntry> = []
    const compact = makeSharing()
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
        const numbered: AuditEntry = { seq: ++last, ...compact(entry) }
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
