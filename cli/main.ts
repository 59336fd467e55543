import { buildProgram } from './index.ts';

await buildProgram().parseAsync(process.argv);
