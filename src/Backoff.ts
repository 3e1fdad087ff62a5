const FIRST_RETRY_MS = 5_000
const MAX_RETRY_MS = 120_000

/** Exponential backoff from 5 s with jitter (50-100 % of the step), capped at 2 minutes; `random` is in [0, 1). */
export const retryDelayMs = (attempt: number, random: number): number =>
  Math.min(FIRST_RETRY_MS * 2 ** attempt, MAX_RETRY_MS) * (0.5 + random / 2)
