/** File writes that a crash cannot leave half done, shared by keystores, address books, checkpoints and bench results. */
export { writeFileAtomic } from './atomic.ts';
