// One fresh process of `gradnet bench aggregate` (spawned by aggregate.ts): times every rule on
// synthetic updates and prints its figures as one JSON line. A process of its own per run, because
// what varies most is how V8 compiles the loops in a given process, not the data.
import { measureRules } from './aggregate.ts';

const [params, updates, repeats] = process.argv.slice(2).map(Number);
process.stdout.write(`${JSON.stringify(measureRules({ params, updates, repeats }))}\n`);
