// cli: the `gradnet` command. program.ts builds the commander tree from cli/commands (cheap
// definitions, parsers from support/parse.ts); each action lazily imports cli/actions/<command>.ts,
// and every failure goes through one policy (support/action.ts). bin/gradnet.js enters through
// main.ts; this door is for other folders (tests): importing it loads the implementations below.
// cli may import every other folder's door (core/*, node, coordinator, bench); none imports cli.
export { buildProgram } from './program.ts';
export { registerNode, type RegisterNodeInput, type RegisterNodeResult } from './actions/register.ts';
export { runDemo, type DemoOptions, type DemoResult } from './demo/run.ts';
export { prepareDemoChain, DEMO_MAX_CHALLENGE_WINDOW_SECONDS, type DemoChain, type DemoChainOptions } from './demo/chain.ts';
export { renderRounds, roundJson, type RoundRow } from './support/rounds.ts';
export { formatTokens, shortHex, toJson } from './support/table.ts';
