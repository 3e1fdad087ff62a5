/**
 * How often the agent refreshes one session by itself: never twice within
 * REFRESH_FLOOR_MS; and while a server issues tokens that have already expired when
 * they arrive (`expires_in: 0`), first EXPIRED_WAIT_MS later, then twice as long each
 * time, up to MAX_EXPIRED_WAIT_MS. Without it such a server would be asked again the
 * moment it answered, in a tight loop.
 */

export const REFRESH_FLOOR_MS = 1_000
export const EXPIRED_WAIT_MS = 10_000
export const MAX_EXPIRED_WAIT_MS = 5 * 60_000

interface Pace {
  readonly receivedAt: number
  readonly waitMs: number
  readonly expired: boolean
}

export interface RefreshPace {
  /** The earliest time (ms) the session of `key` may be refreshed again by the agent itself. */
  readonly notBefore: (key: string) => number
  /**
   * Notes tokens the session of `key` just received: "expired" the first time in a row
   * they came back already expired (the moment to say so), else "noted".
   */
  readonly received: (key: string, expiresAt: number, now: number) => "expired" | "noted"
}

/** What the log says, once, when a server starts issuing expired tokens. */
export const expiredTokensNotice = (serverId: string) =>
  `${serverId} issued tokens that had already expired; mairu refreshes that session again after ` +
  `${EXPIRED_WAIT_MS / 1000} s, then twice as long each time this goes on, up to every ${
    MAX_EXPIRED_WAIT_MS / 60_000
  } minutes`

export const makeRefreshPace = (): RefreshPace => {
  const byKey = new Map<string, Pace>()
  return {
    notBefore: (key) => {
      const pace = byKey.get(key)
      return pace === undefined ? 0 : pace.receivedAt + pace.waitMs
    },
    received: (key, expiresAt, now) => {
      const before = byKey.get(key)
      const expired = expiresAt <= now
      const waitMs = !expired
        ? REFRESH_FLOOR_MS
        : before?.expired === true
        ? Math.min(before.waitMs * 2, MAX_EXPIRED_WAIT_MS)
        : EXPIRED_WAIT_MS
      byKey.set(key, { receivedAt: now, waitMs, expired })
      return expired && before?.expired !== true ? "expired" : "noted"
    }
  }
}
