/**
 * RFC 3339 in UTC without fractional seconds, as the AWS tools print it: toISOString's
 * `….sssZ` cut (sliced, not by a regular expression, which every start would compile).
 */
export const formatExpiration = (date: Date): string => date.toISOString().slice(0, -5) + "Z"

/** The AWS `credential_process` JSON, with exactly the documented keys in order. */
export const credentialProcessJson = (credentials: {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string | undefined
  readonly expiration: Date | undefined
}): string =>
  JSON.stringify({
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    ...(credentials.sessionToken === undefined ? {} : { SessionToken: credentials.sessionToken }),
    ...(credentials.expiration === undefined ? {} : { Expiration: formatExpiration(credentials.expiration) })
  })
