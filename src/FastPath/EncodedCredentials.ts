import type { AwsCredentials } from "../Schemas/Credentials.js"

/** AwsCredentials as the agent encodes them on the wire (a type only: the schemas are not loaded). */
export type EncodedCredentials = typeof AwsCredentials.Encoded

/** Plain credentials, with the expiration as a date. */
export interface PlainCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string | undefined
  readonly expiration: Date | undefined
  readonly noCache: boolean
}

export const fromEncoded = (encoded: EncodedCredentials): PlainCredentials => ({
  accessKeyId: encoded.accessKeyId,
  secretAccessKey: encoded.secretAccessKey,
  sessionToken: encoded.sessionToken,
  expiration: encoded.expiration === undefined ? undefined : new Date(encoded.expiration),
  noCache: encoded.noCache
})
