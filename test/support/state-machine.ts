import assert from 'node:assert/strict';

/** Runs events through a pure state machine, checking that no step mutates its input state. */
export function runSteps<State, Event extends { type: string }, Effect>(
  step: (state: State, event: Event) => { state: State; effects: readonly Effect[] },
  events: readonly Event[],
  initial: State,
): { state: State; effects: Effect[] } {
  let state = initial;
  const effects: Effect[] = [];
  for (const event of events) {
    const before = structuredClone(state);
    const result = step(state, event);
    assert.deepEqual(state, before, `step mutated its input on ${event.type}`);
    state = result.state;
    effects.push(...result.effects);
  }
  return { state, effects };
}
