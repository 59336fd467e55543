// core/process: the child processes a command, a benchmark or a test starts and must stop again.
// A ProcessGroup runs `gradnet <subcommand>` children and stops each by its own PID; waitFor polls a
// condition while watching a child; freePort picks a loopback port. Used by the CLI's demo, bench/
// and the process-level tests, so none of them keeps its own copy.
export { childFields, GRADNET_BIN, NODE22, ProcessGroup, type ChildLogLine, type ChildSpec, type RunningChild } from './group.ts';
export { ProcessError } from './errors.ts';
export { freePort } from './ports.ts';
export { waitFor, type WaitOptions } from './wait.ts';
