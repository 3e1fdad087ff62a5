/**
 * The agent's V8 flags: its resident memory stays low with a small young generation and
 * without V8's optimising compilers (their code is then never paged in). V8 takes these
 * while the process runs too: the single executable's agent, which takes no flags from its
 * command line, sets them as it starts. Where AGENT_START_FLAGS apply as well, the last two
 * change nothing; they keep an agent started by hand from the single executable without
 * the optimising compilers. A module of its own because the executable's entry reads it for
 * that agent, and everything the entry imports is compiled on every start.
 */
export const AGENT_V8_FLAGS: ReadonlyArray<string> = [
  "--max-semi-space-size=1",
  "--optimize-for-size",
  "--no-opt",
  "--no-maglev"
]

/**
 * The agent's flags that V8 takes only as the process starts: on node's command line, or in
 * the single executable's NODE_OPTIONS. Without any compiler the agent is smaller, and answers
 * a request that comes after a pause (as AWS tools make them) as fast; see docs/performance.md.
 */
export const AGENT_START_FLAGS: ReadonlyArray<string> = ["--jitless"]
