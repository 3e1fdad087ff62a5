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
