import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getAddress, keccak256, parseEther, toHex, zeroHash, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import {
  balanceOf,
  claim,
  commitRound,
  contractAt,
  ContractRevertError,
  createChainClients,
  getRound,
  getRoundCommittedEvents,
  hasRole,
  isActive,
  latestModelHash,
  nodeOf,
  register,
  ROLES,
  roundCount,
  RpcUnreachableError,
  signNodeKeyBinding,
  startDevnet,
  type ChainClients,
  type ClaimErrorType,
  type CommitRoundParameters,
  type ContractAt,
  type Devnet,
  type GetRoundErrorType,
  type GetRoundParameters,
  type GetRoundReturnType,
  type HasRoleParameters,
  type ListNodesReturnType,
  type RegisterErrorType,
  type RevertErrorName,
} from '../../../core/chain/index.ts';
import { startRpcRelay } from '../../support/rpc-relay.ts';

/** True when `a` and `b` are the same type; `expectType<Equal<…>>()` fails the type check otherwise. */
type Equal<a, b> = (<t>() => t extends a ? 1 : 2) extends <t>() => t extends b ? 1 : 2 ? true : false;
const expectType = <assertion extends true>(): assertion | undefined => undefined;

type RevertNameOf<errorType> = NonNullable<Extract<errorType, ContractRevertError<string>>['errorName']>;

describe('typed chain actions on a devnet', () => {
  let dir: string;
  let devnet: Devnet;
  let coordinator: ChainClients;
  let outsider: ChainClients;
  let ledger: ContractAt<'RoundLedger'>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-actions-'));
    devnet = await startDevnet({ port: 0, accounts: 3, deploy: { deploymentsFile: join(dir, '31337.json') } });
    [coordinator, outsider] = await Promise.all([
      createChainClients({ rpcUrl: devnet.rpcUrl, account: devnet.accounts[0].privateKey }),
      createChainClients({ rpcUrl: devnet.rpcUrl, account: devnet.accounts[2].privateKey }),
    ]);
    ledger = contractAt(coordinator, 'RoundLedger', devnet.deployments.contracts.RoundLedger.address);
  });
  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('infers parameters, results and revert names from the generated ABIs', () => {
    expectType<Equal<GetRoundParameters, { roundId: bigint } & { signal?: AbortSignal }>>();
    expectType<Equal<GetRoundReturnType, { modelHash: Hex; parentHash: Hex; rewardsRoot: Hex }>>();
    expectType<Equal<HasRoleParameters['role'] | HasRoleParameters['account'], Hex | Address>>();
    expectType<Equal<CommitRoundParameters['record']['accuracy'], number>>();
    expectType<Equal<ListNodesReturnType[0], readonly Address[]>>();
    expectType<Equal<Awaited<ReturnType<typeof roundCount>>, bigint>>();
    expectType<Equal<Awaited<ReturnType<typeof isActive>>, boolean>>();
    // A revert's name is one of the errors its contract (or a contract it calls) declares.
    expectType<Equal<'UnknownRound' extends RevertNameOf<GetRoundErrorType> ? true : false, true>>();
    expectType<Equal<'NothingToClaim' extends RevertNameOf<GetRoundErrorType> ? true : false, false>>();
    expectType<Equal<'NothingToClaim' | 'ERC20InsufficientBalance' extends RevertNameOf<ClaimErrorType> ? true : false, true>>();
    expectType<Equal<'StakeBelowMinimum' | 'ERC20InsufficientAllowance' extends RevertNameOf<RegisterErrorType> ? true : false, true>>();
    expectType<Equal<RevertErrorName<'RoundLedger'> extends RevertNameOf<GetRoundErrorType> ? true : false, true>>();
  });

  it('reads and commits through the actions, typed without casts', async () => {
    const count: bigint = await roundCount(ledger);
    assert.equal(count, 0n);
    const genesis = await getRound(ledger, { roundId: 0n });
    assert.equal(genesis.modelHash, await latestModelHash(ledger));
    assert.equal(await hasRole(ledger, { role: ROLES.coordinator, account: coordinator.account!.address }), true);

    const record = {
      roundId: 1n,
      modelHash: keccak256(toHex('actions model 1')),
      parentHash: genesis.modelHash,
      updatesRoot: keccak256(toHex('actions updates 1')),
      rewardsRoot: keccak256(toHex('actions rewards 1')),
      contributors: 3,
      totalSamples: 300n,
      loss: 250_000n,
      accuracy: 900_000,
      rewardBudget: parseEther('1'),
    };
    const sent = await commitRound(ledger, { record });
    assert.equal(sent.committed.roundId, 1n);
    assert.equal(sent.committed.accuracy, 900_000);
    const [event] = await getRoundCommittedEvents(ledger, { fromBlock: 0n, roundId: 1n });
    assert.equal(event.args.modelHash, record.modelHash);
    assert.equal(event.transactionHash, sent.hash);

    const registry = contractAt(outsider, 'NodeRegistry', devnet.deployments.contracts.NodeRegistry.address);
    const node = await nodeOf(registry, { owner: outsider.account!.address });
    assert.equal(node.nodeKey, getAddress(`0x${'00'.repeat(20)}`));
    assert.equal(node.active, false);
  });

  it('surfaces a revert as ContractRevertError naming the custom error', async () => {
    await assert.rejects(getRound(ledger, { roundId: 99n }), (error: unknown) => {
      assert.ok(error instanceof ContractRevertError);
      assert.equal(error.errorName, 'UnknownRound');
      assert.deepEqual(error.errorArgs, [99n, 1n]);
      assert.match(error.message, /RoundLedger\.getRound reverted on .*: UnknownRound\(99, 1\)/);
      return true;
    });
    const asOutsider = contractAt(outsider, 'RoundLedger', ledger.address);
    const record = { roundId: 2n, modelHash: zeroHash, parentHash: zeroHash, updatesRoot: zeroHash, rewardsRoot: zeroHash, contributors: 0, totalSamples: 0n, loss: 0n, accuracy: 0, rewardBudget: 0n };
    await assert.rejects(commitRound(asOutsider, { record }), (error: unknown) => error instanceof ContractRevertError && error.errorName === 'AccessControlUnauthorizedAccount');
    // No allowance: the revert comes from inside GradToken and is still decoded.
    const registry = contractAt(outsider, 'NodeRegistry', devnet.deployments.contracts.NodeRegistry.address);
    const nodeKey = privateKeyToAccount(generatePrivateKey());
    const nodeKeySignature = await signNodeKeyBinding(nodeKey, { owner: outsider.account!.address, chainId: outsider.chainId, registry: registry.address });
    await assert.rejects(register(registry, { nodeKey: nodeKey.address, stake: parseEther('100'), nodeKeySignature }), (error: unknown) => {
      assert.ok(error instanceof ContractRevertError);
      assert.equal(error.errorName, 'ERC20InsufficientAllowance');
      assert.match(error.message, /NodeRegistry\.register reverted/);
      return true;
    });
    const vault = contractAt(outsider, 'RewardVault', devnet.deployments.contracts.RewardVault.address);
    const owner = outsider.account!.address;
    // Round 1 is inside its 10 s challenge window: the vault refuses before it looks at the proof.
    await assert.rejects(claim(vault, { roundId: 1n, owner, cumulativeReward: 1n, cumulativeSamples: 1n, cumulativeRounds: 1n, proof: [] }), (error: unknown) => {
      return error instanceof ContractRevertError && error.errorName === 'RoundNotFinal' && error.errorArgs?.[0] === 1n;
    });
  });

  it('surfaces a dead endpoint as RpcUnreachableError naming its URL', async () => {
    const relay = await startRpcRelay(devnet.rpcUrl);
    try {
      const clients = await createChainClients({ rpcUrl: relay.url, timeoutMs: 2_000 });
      const token = contractAt(clients, 'GradToken', devnet.deployments.contracts.GradToken.address);
      assert.ok((await balanceOf(token, { account: devnet.accounts[0].address })) > 0n);
      relay.down = true;
      await assert.rejects(balanceOf(token, { account: devnet.accounts[0].address }), (error: unknown) => {
        assert.ok(error instanceof RpcUnreachableError);
        assert.equal(error.rpcUrl, relay.url);
        return true;
      });
    } finally {
      await relay.close();
    }
  });

  it('stops waiting when its signal aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    await assert.rejects(roundCount(ledger, { signal: controller.signal }), /shutting down/);
  });
});
