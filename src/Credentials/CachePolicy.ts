/** The agent serves cached credentials only while they have more than this left. */
export const MIN_REMAINING_MS = 15 * 60 * 1000

const MIN_WAIT_MS = 60_000

/**
 * How a failed renewal is tried again: after 5 s, doubling, capped at 2 minutes, each wait
 * 50–100 % of its step so that renewals that failed together do not retry together.
 */
export const RETRY_FIRST_MS = 5_000
export const RETRY_MAX_MS = 120_000
export const RETRY_JITTER = { min: 0.5, max: 1 } as const

/** The wait before retry `attempt` (from 0); `random` is in [0, 1). */
export const retryDelayMs = (attempt: number, random: number): number =>
  Math.min(RETRY_FIRST_MS * 2 ** attempt, RETRY_MAX_MS) *
  (RETRY_JITTER.min + random * (RETRY_JITTER.max - RETRY_JITTER.min))

/** Credentials as far as caching is concerned. */
export interface Expiring {
  readonly expiration: Date | undefined
  readonly noCache: boolean
}

/** True while the agent would still answer with these credentials from its cache. */
export const servedFromCache = (credentials: Expiring, now: number): boolean =>
  !credentials.noCache && credentials.expiration !== undefined &&
  credentials.expiration.getTime() - now > MIN_REMAINING_MS

/** How long to wait before asking again: just past the point where the agent stops serving these credentials. */
export const refreshDelayMs = (credentials: Expiring, now: number, jitterMs: number): number | undefined => {
  if (credentials.expiration === undefined || credentials.noCache) return undefined
  return Math.max(credentials.expiration.getTime() - MIN_REMAINING_MS - now + jitterMs, MIN_WAIT_MS)
}

/** When a command's credentials are asked for again to keep the cache warm: 1-30 s (by `random`) past refreshDelayMs. */
export const warmDelayMs = (credentials: Expiring, now: number, random: number): number | undefined =>
  refreshDelayMs(credentials, now, 1_000 + Math.floor(random * 29_000))

export type Obtained<A, E> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: E }

/**
 * Keeps the agent's cache warm for a running command: asks for the credentials
 * again as the agent stops serving the cached ones (plus 1-30 s of jitter), so
 * that the command's next request is answered from memory. Failures are retried
 * with backoff and handed to `onError`. Returns the function that stops it.
 */
export const keepWarm = <A extends Expiring, E>(
  first: A,
  obtain: () => Promise<Obtained<A, E>>,
  onError: (error: E) => void,
  random: () => number = Math.random
): () => void => {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const later = (ms: number, next: () => void) => {
    if (stopped) return
    timer = setTimeout(next, ms)
    timer.unref()
  }
  const scheduleAfter = (current: A) => {
    const delay = warmDelayMs(current, Date.now(), random())
    if (delay !== undefined) later(delay, () => void attempt(0))
  }
  const attempt = async (failures: number) => {
    const result = await obtain()
    if (stopped) return
    if (result.ok) return scheduleAfter(result.value)
    onError(result.error)
    later(retryDelayMs(failures, random()), () => void attempt(failures + 1))
  }
  scheduleAfter(first)
  return () => {
    stopped = true
    if (timer !== undefined) clearTimeout(timer)
  }
}
