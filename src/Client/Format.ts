const pad = (n: number) => String(n).padStart(2, "0")

/** `2026-11-25 14:03:00 +09:00` in local time, or `2026-11-25 05:03:00 UTC` with `utc`. */
export const formatTime = (date: Date, utc: boolean): string => {
  if (utc) return date.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC")
  const offset = -date.getTimezoneOffset()
  const sign = offset >= 0 ? "+" : "-"
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ` +
    `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
}

/** RFC 3339 to the second with a numeric offset: `2026-11-25T14:03:00+09:00`, or `…+00:00` with `utc`. */
export const formatRfc3339 = (date: Date, utc: boolean): string => {
  const offset = utc ? 0 : -date.getTimezoneOffset()
  const shifted = new Date(Math.floor(date.getTime() / 1000) * 1000 + offset * 60_000)
  const sign = offset >= 0 ? "+" : "-"
  return shifted.toISOString().replace(/\.\d{3}Z$/, "") +
    `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
}
