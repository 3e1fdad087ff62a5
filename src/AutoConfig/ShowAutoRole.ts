/**
 * `MAIRU_SHOW_AUTO_ROLE`, read the same way by the fast and the full `exec`: on when
 * set to anything but empty, `false` or `0` (the original Mairu takes `true`/`false`).
 */
export const showAutoRoleFromEnv = (env: Readonly<Record<string, string | undefined>>): boolean => {
  const value = (env.MAIRU_SHOW_AUTO_ROLE ?? "").trim().toLowerCase()
  return value !== "" && value !== "false" && value !== "0"
}
