/**
 * Removes secrets from text a server sent before it becomes a message or a log line:
 * a server may echo what it was sent (the Authorization header, a form body) or what
 * it issued. Each secret is removed as it is, URL-encoded, form-encoded, JSON-escaped
 * and base64-encoded, the forms in which an echo carries it.
 */

export const REDACTED = "<redacted>"

/** Shorter values are not secrets worth the noise of removing them from every message. */
const MIN_SECRET_LENGTH = 4

const formsOf = (secret: string): Array<string> => [
  secret,
  encodeURIComponent(secret),
  new URLSearchParams({ s: secret }).toString().slice(2),
  JSON.stringify(secret).slice(1, -1),
  Buffer.from(secret).toString("base64"),
  Buffer.from(secret).toString("base64url")
]

export type Scrubber = (text: string) => string

/** A function that replaces every form of every secret in `secrets` with `<redacted>`. */
export const makeScrubber = (secrets: Iterable<string | undefined>): Scrubber => {
  const forms = new Set<string>()
  for (const secret of secrets) {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) continue
    for (const form of formsOf(secret)) {
      if (form.length >= MIN_SECRET_LENGTH) forms.add(form)
    }
  }
  // Longest first, so that a secret containing another is removed whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length)
  return (text) => {
    let out = text
    for (const form of ordered) {
      if (out.includes(form)) out = out.split(form).join(REDACTED)
    }
    return out
  }
}

/** The secret parts of an HTTP Authorization header: the bearer token, or the basic credentials and their password. */
export const authorizationSecrets = (header: string | undefined): Array<string> => {
  if (header === undefined) return []
  const [scheme, value] = header.trim().split(/\s+/, 2)
  if (value === undefined) return [header]
  if (scheme?.toLowerCase() !== "basic") return [value]
  const decoded = Buffer.from(value, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  const password = colon === -1 ? decoded : decoded.slice(colon + 1)
  let unescaped = password
  try {
    unescaped = decodeURIComponent(password)
  } catch {
    // not URL-encoded
  }
  return [value, password, unescaped]
}

/** Form fields of OAuth 2.0 requests whose values are no secret; every other field's value is one. */
const PUBLIC_FORM_FIELDS = new Set(["grant_type", "token_type_hint", "scope", "redirect_uri", "client_id"])

/** The values of a form's secret fields: all but the fields known to be public. */
export const formSecrets = (form: Iterable<readonly [string, string]>): Array<string> =>
  [...form].filter(([field]) => !PUBLIC_FORM_FIELDS.has(field)).map(([, value]) => value)

/** JSON fields whose values are secrets, removed from excerpts of a server's answer whatever their value. */
const SECRET_JSON_FIELD =
  /^(?:access_?token|refresh_?token|id_?token|client_?secret|secret_?access_?key|session_?token|token|password)$/i

/** `value` with every string under a secret-looking key replaced by `<redacted>`. */
export const redactSecretFields = (value: unknown, depth = 0): unknown => {
  if (depth > 32 || typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) return value.map((item) => redactSecretFields(item, depth + 1))
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      SECRET_JSON_FIELD.test(key) && typeof item === "string" ? REDACTED : redactSecretFields(item, depth + 1)
    ])
  )
}
