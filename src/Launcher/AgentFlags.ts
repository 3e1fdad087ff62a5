/**
 * The agent's V8 flags: its resident memory stays low with a small young generation and
 * without V8's optimising compilers (their code is then never paged in). A module of its own
 * because the executable's entry reads it for the single executable's agent, and everything
 * the entry imports is compiled on every start.
 */
export const AGENT_V8_FLAGS: ReadonlyArray<string> = [
  "--max-semi-space-size=1",
  "--optimize-for-size",
  "--no-opt",
  "--no-maglev"
]
