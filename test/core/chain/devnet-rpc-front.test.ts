import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { encodeFunctionData, keccak256, parseEther, toHex, type Hex } from 'viem';
import { connectGradnet, gradTokenAbi, roundLedgerAbi, startDevnet, type Devnet, type GradnetChain } from '../../../core/chain/index.ts';

/**
 * The devnet's JSON-RPC front: the request shapes Foundry's cast, geth's ethclient and web3.js 4
 * send (call data as `input`, or as `input` and `data` together), which Hardhat's EDR alone
 * refuses with -32602 "duplicate field 'data'".
 */
describe('the devnet JSON-RPC front', () => {
  let dir: string;
  let devnet: Devnet;
  let chain: GradnetChain;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-rpc-front-'));
    devnet = await startDevnet({ port: 0, accounts: 3, deploy: { deploymentsFile: join(dir, '31337.json') } });
    chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, deployments: devnet.deployments });
  });
  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function rpc(body: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const response = await fetch(devnet.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return response.json();
  }
  const ledger = (): Hex => devnet.deployments.contracts.RoundLedger.address;
  const genesisCall = encodeFunctionData({ abi: roundLedgerAbi, functionName: 'genesisModelHash' });

  it('answers eth_call with the call data in `input` (cast, ethclient), alone or beside an equal `data` (web3.js 4)', async () => {
    const expected = await chain.ledger.genesisModelHash();
    const inputOnly = await rpc({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: ledger(), input: genesisCall }, 'latest'] });
    assert.equal(inputOnly.result, expected, JSON.stringify(inputOnly));
    const both = await rpc({ jsonrpc: '2.0', id: 2, method: 'eth_call', params: [{ to: ledger(), input: genesisCall, data: genesisCall }, 'latest'] });
    assert.equal(both.result, expected, JSON.stringify(both));
  });

  it('refuses `input` and `data` that differ, as geth does, naming both', async () => {
    const other = encodeFunctionData({ abi: roundLedgerAbi, functionName: 'roundCount' });
    const answer = await rpc({ jsonrpc: '2.0', id: 7, method: 'eth_call', params: [{ to: ledger(), input: genesisCall, data: other }, 'latest'] });
    assert.equal(answer.id, 7);
    assert.equal(answer.error.code, -32602);
    assert.match(answer.error.message, /"data" and "input" are set and not equal/);
  });

  it('estimates and sends a transaction given as `input` (eth_estimateGas, eth_sendTransaction from an unlocked DEV-ONLY account)', async () => {
    const [from, to] = devnet.accounts;
    const transfer = encodeFunctionData({ abi: gradTokenAbi, functionName: 'transfer', args: [to.address, parseEther('1')] });
    const token = devnet.deployments.contracts.GradToken.address;
    const estimate = await rpc({ jsonrpc: '2.0', id: 3, method: 'eth_estimateGas', params: [{ from: from.address, to: token, input: transfer }] });
    assert.ok(BigInt(estimate.result) > 21_000n, JSON.stringify(estimate));
    const before = await chain.token.balanceOf(to.address);
    const sent = await rpc({ jsonrpc: '2.0', id: 4, method: 'eth_sendTransaction', params: [{ from: from.address, to: token, input: transfer, data: transfer }] });
    assert.match(sent.result, /^0x[0-9a-f]{64}$/, JSON.stringify(sent));
    await chain.clients.publicClient.waitForTransactionReceipt({ hash: sent.result });
    assert.equal(await chain.token.balanceOf(to.address), before + parseEther('1'));
  });

  it('keeps a batch in order, answering a refused request in place and passing the rest', async () => {
    const answers = await rpc([
      { jsonrpc: '2.0', id: 'a', method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 'b', method: 'eth_call', params: [{ to: ledger(), input: genesisCall, data: '0x00' }, 'latest'] },
      { jsonrpc: '2.0', id: 'c', method: 'eth_call', params: [{ to: ledger(), input: genesisCall }, 'latest'] },
    ]);
    assert.deepEqual(answers.map((answer: { id: string }) => answer.id), ['a', 'b', 'c']);
    assert.equal(answers[0].result, '0x7a69');
    assert.equal(answers[1].error.code, -32602);
    assert.equal(answers[2].result, await chain.ledger.genesisModelHash());
  });

  it('answers a request that is not JSON with a JSON-RPC parse error', async () => {
    const response = await fetch(devnet.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":' });
    assert.equal(((await response.json()) as { error: { code: number } }).error.code, -32700);
  });

  // Foundry's own client, from npm (@foundry-rs/cast): node_modules/.bin/cast, or GRADNET_CAST.
  const cast = process.env.GRADNET_CAST ?? fileURLToPath(new URL('../../../node_modules/.bin/cast', import.meta.url));
  const castMissing = existsSync(cast) ? false : `Foundry's cast is not installed (npm i -D @foundry-rs/cast, or set GRADNET_CAST)`;
  it('cast call, cast send and cast logs agree with gradnet rounds --json', { skip: castMissing }, async () => {
    const run = async (...args: string[]): Promise<string> => (await promisify(execFile)(cast, [...args, '--rpc-url', devnet.rpcUrl], { timeout: 60_000 })).stdout.trim();
    const genesis = await run('call', ledger(), 'genesisModelHash()(bytes32)');
    assert.equal(genesis, await chain.ledger.genesisModelHash());
    const count = Number(await run('call', ledger(), 'roundCount()(uint256)'));
    // The coordinator (DEV-ONLY account 0, unlocked on the devnet) commits the next round through cast.
    const round = count + 1;
    const modelHash = keccak256(toHex(`cast round ${round}`));
    const parent = count === 0 ? genesis : (await chain.ledger.getRound(count)).modelHash;
    const record = `(${round},${modelHash},${parent},${keccak256(toHex('updates'))},${keccak256(toHex('rewards'))},3,1000,250000,900000,${parseEther('1')})`;
    const receipt = JSON.parse(await run('send', '--unlocked', '--from', devnet.accounts[0].address, ledger(),
      'commitRound((uint256,bytes32,bytes32,bytes32,bytes32,uint32,uint64,uint64,uint32,uint128))', record, '--json')) as { status: string; transactionHash: Hex };
    assert.equal(receipt.status, '0x1');
    assert.equal(Number(await run('call', ledger(), 'roundCount()(uint256)')), round);
    const logs = JSON.parse(await run('logs', '--address', ledger(), '--from-block', '0', '--json',
      'RoundCommitted(uint256 indexed,bytes32 indexed,bytes32,bytes32,bytes32,uint32,uint64,uint64,uint32,uint128,uint64)')) as { topics: Hex[]; transactionHash: Hex }[];

    const gradnet = fileURLToPath(new URL('../../../bin/gradnet.js', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [gradnet, 'rounds', '--json', '--rpc', devnet.rpcUrl, '--deployments', join(dir, '31337.json')], { timeout: 60_000 });
    const rows = JSON.parse(stdout) as { round: number; modelHash: Hex; txHash: Hex; contributors: number }[];
    assert.equal(rows.length, round);
    assert.equal(logs.length, round);
    for (const [index, row] of rows.entries()) {
      assert.equal(BigInt(logs[index].topics[1]), BigInt(row.round));
      assert.equal(logs[index].topics[2], row.modelHash);
      assert.equal(logs[index].transactionHash, row.txHash);
    }
    assert.equal(rows.at(-1)?.modelHash, modelHash);
    assert.equal(rows.at(-1)?.txHash, receipt.transactionHash);
    assert.equal(rows.at(-1)?.contributors, 3);
  });
});
