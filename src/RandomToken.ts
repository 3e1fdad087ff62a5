import * as crypto from "node:crypto"

/** A random URL-safe string with `bytes` of entropy: a state, a handle, a one-time link's path. */
export const randomToken = (bytes: number): string => crypto.randomBytes(bytes).toString("base64url")
