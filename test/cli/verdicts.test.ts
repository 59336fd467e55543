import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAddress, type Address, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { gradnetDomain, nodeKeyAddress, signVerdict, type SignedVerdict, type VerdictKind } from '../../core/protocol/index.ts';
import { parseVerdicts, selectVerdicts, stakeNeeded, VerdictFileError } from '../../cli/support/verdicts.ts';

const LEDGER: Address = `0x${'1'.repeat(40)}`;
const DOMAIN = gradnetDomain(31337, LEDGER);
const hash = (digit: string): Hex => `0x${digit.repeat(64)}`;
const SUBJECT = { round: 4, modelHash: hash('a'), rewardsRoot: hash('b') };
const keys = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey(), generatePrivateKey()];

function sign(key: Hex, verdict: VerdictKind, overrides: Partial<typeof SUBJECT> = {}, domain = DOMAIN): Promise<SignedVerdict> {
  return signVerdict({ ...SUBJECT, ...overrides, verdict, privateKey: key, domain });
}

/** Stake per node key: 100 each, 0 for the last key (not active). */
function stakes(nodeKey: Address): Promise<bigint> {
  return Promise.resolve(getAddress(nodeKey) === nodeKeyAddress(keys[3]) ? 0n : 100n);
}

describe('gradnet challenge: verdict files and the verdicts that count', () => {
  it('reads a JSON array and JSON lines, verdict kinds by name or on-chain code', async () => {
    const first = await sign(keys[0], 'mismatch');
    const second = await sign(keys[1], 'unavailable');
    assert.deepEqual(parseVerdicts(JSON.stringify([first, second]), 'a.json'), [first, second]);
    const lines = `${JSON.stringify({ ...first, verdict: 1 })}\n\n${JSON.stringify({ ...second, verdict: 2 })}\n`;
    assert.deepEqual(parseVerdicts(lines, 'b.jsonl'), [first, second]);
  });

  it("reads a daemon's JSON log as it is: the verdicts it signed or heard, every other line skipped", async () => {
    const own = await sign(keys[0], 'mismatch');
    const heard = await sign(keys[1], 'unavailable');
    const log = [
      { level: 30, time: 1, msg: 'daemon started as node 0x…' },
      { level: 30, time: 2, event: 'verdict', from: 'self', signedVerdict: own, msg: 'verdict mismatch on round 4 by …' },
      { level: 40, time: 3, event: 'audit', round: 4, verdict: 'mismatch', msg: 'audit round 4: mismatch' },
      { level: 30, time: 4, event: 'verdict', from: 'gossip', signedVerdict: heard, msg: 'verdict unavailable on round 4 by …' },
    ];
    assert.deepEqual(parseVerdicts(log.map((line) => JSON.stringify(line)).join('\n'), 'daemon.log'), [own, heard]);
  });

  it('names the file and entry of anything that is not a signed verdict', async () => {
    const good = await sign(keys[0], 'mismatch');
    const cases: [string, RegExp][] = [
      ['{not json', /^c\.jsonl:1 is not JSON/],
      [`${JSON.stringify(good)}\n${JSON.stringify({ ...good, signature: '0x1234' })}`, /^c\.jsonl:2 is not a signed verdict: verdict signature must be 65 bytes/],
      [JSON.stringify([good, { ...good, verdict: 'maybe' }]), /^c\.jsonl\[1\] is not a signed verdict/],
      [JSON.stringify([{ ...good, round: 0 }]), /^c\.jsonl\[0\] is not a signed verdict: verdict round must be an integer ≥ 1/],
      ['[7]', /^c\.jsonl\[0\] is not a verdict object/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseVerdicts(text, 'c.jsonl'), (error: unknown) => error instanceof VerdictFileError && message.test(error.message));
    }
  });

  it('counts only verdicts against this commit, validly signed in this deployment, once per active node key', async () => {
    const counted = [await sign(keys[0], 'mismatch'), await sign(keys[1], 'unavailable')];
    const verdicts = [
      counted[0],
      await sign(keys[2], 'match'),
      await sign(keys[2], 'mismatch', { round: 5 }),
      await sign(keys[2], 'mismatch', { rewardsRoot: hash('c') }),
      await sign(keys[2], 'mismatch', {}, gradnetDomain(1, LEDGER)),
      { ...(await sign(keys[2], 'mismatch')), nodeKey: nodeKeyAddress(keys[0]) },
      counted[1],
      await sign(keys[0], 'unavailable'),
      await sign(keys[3], 'mismatch'),
    ];
    const selection = await selectVerdicts(verdicts, SUBJECT, { domain: DOMAIN, activeStakeOf: stakes });
    assert.deepEqual(selection.counted, counted);
    assert.equal(selection.stakeAgainst, 200n);
    const expected = [
      /^a match verdict/,
      /^about round 5, not 4$/,
      new RegExp(`^about model ${hash('a')} and rewards root ${hash('c')}, not what the ledger holds`),
      /^its signature recovers 0x[0-9a-fA-F]{40}, not its node key/,
      /^its signature recovers 0x[0-9a-fA-F]{40}, not its node key/,
      /^a second verdict of this node key/,
      /^not an active node now/,
    ];
    assert.equal(selection.setAside.length, expected.length);
    selection.setAside.forEach(({ reason }, index) => assert.match(reason, expected[index]));
    assert.deepEqual(selection.setAside.map(({ nodeKey }) => nodeKey).at(-1), nodeKeyAddress(keys[3]));
  });

  it('needs the threshold of the active stake, rounded up as RoundChallenges compares it', () => {
    assert.equal(stakeNeeded(300n, 3334), 101n);
    assert.equal(stakeNeeded(300n, 10_000), 300n);
    assert.equal(stakeNeeded(3n * 10n ** 20n, 3334), 10_002n * 10n ** 16n);
  });
});
