/**
 * The agent protocol's version, in every request line. A module of its own, without imports,
 * so that the fast paths use this very constant without loading the protocol's schemas.
 */
export const PROTOCOL_VERSION = 3

/** Hand-outs at most in one RecordHandOuts request (exec's endpoint batches what it tells the agent). */
export const MAX_HAND_OUTS_PER_RECORD = 100
