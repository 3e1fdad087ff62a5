/**
 * The agent's V8 flags: its resident memory stays low with a small young generation and
 * without V8's optimising compilers (their code is then never paged in). V8 takes these
 * while the process runs too: the single executable's agent, which takes no flags from its
 * command line, sets them as it starts. A module of its own because the executable's entry
 * reads it for that agent, and everything the entry imports is compiled on every start.
 */
export const AGENT_V8_FLAGS: ReadonlyArray<string> = [
  "--max-semi-space-size=1",
  "--optimize-for-size",
  "--no-opt",
  "--no-maglev"
]

/**
 * The agent's flags that V8 takes only as the process starts: on node's command line, or in
 * the single executable's NODE_OPTIONS. Without any compiler (`--jitless`) the agent is about
 * 6 MB smaller, and answers as fast when asked now and then (as AWS tools ask it); in a
 * burst, each answer costs under a millisecond more.
 */
export const AGENT_START_FLAGS: ReadonlyArray<string> = ["--jitless"]
