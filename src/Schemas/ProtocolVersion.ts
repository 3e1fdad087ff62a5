/**
 * The agent protocol's version, in every request line. A module of its own, without imports,
 * so that the fast paths use this very constant without loading the protocol's schemas.
 */
export const PROTOCOL_VERSION = 2
