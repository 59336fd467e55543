// What bin/gradnet.js runs. It imports program.ts, not the door (index.ts), so that only the
// command tree loads before the chosen command's action imports its implementation.
import { buildProgram } from './program.ts';

await buildProgram().parseAsync(process.argv);
