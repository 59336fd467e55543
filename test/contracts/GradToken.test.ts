import assert from 'node:assert/strict';
import { parseEther, zeroAddress } from 'viem';
import { deployGradnet, networkHelpers, ROLES, TOKEN_CAP, viem } from './fixture.ts';

describe('GradToken', () => {
  it('is an 18-decimal capped ERC20 named Gradnet Token (GRAD): the timelock is its admin, the deployer its (capped) minter', async () => {
    const { token, admin, vault, timelock, coordinator } = await networkHelpers.loadFixture(deployGradnet);
    assert.equal(await token.read.name(), 'Gradnet Token');
    assert.equal(await token.read.symbol(), 'GRAD');
    assert.equal(await token.read.decimals(), 18);
    assert.equal(await token.read.cap(), TOKEN_CAP);
    assert.equal(await token.read.hasRole([ROLES.admin, timelock.address]), true);
    assert.equal(await token.read.hasRole([ROLES.admin, admin.account.address]), false);
    assert.equal(await token.read.hasRole([ROLES.minter, admin.account.address]), true);
    assert.equal(await token.read.hasRole([ROLES.minter, coordinator.account.address]), false);
    assert.equal(await token.read.balanceOf([vault.address]), parseEther('50000'));
  });

  it('never mints beyond the cap, whoever holds MINTER_ROLE', async () => {
    const { token, outsider } = await networkHelpers.loadFixture(deployGradnet);
    const supply = await token.read.totalSupply();
    await token.write.mint([outsider.account.address, TOKEN_CAP - supply]);
    await viem.assertions.revertWithCustomErrorWithArgs(token.write.mint([outsider.account.address, 1n]), token, 'ERC20ExceededCap', [TOKEN_CAP + 1n, TOKEN_CAP]);
  });

  it('mints for MINTER_ROLE and refuses everyone else', async () => {
    const { token, outsider } = await networkHelpers.loadFixture(deployGradnet);
    await viem.assertions.emitWithArgs(token.write.mint([outsider.account.address, 5n]), token, 'Transfer', [zeroAddress, outsider.account.address, 5n]);
    assert.equal(await token.read.balanceOf([outsider.account.address]), 5n);
    await viem.assertions.revertWithCustomErrorWithArgs(
      token.write.mint([outsider.account.address, 5n], { account: outsider.account }),
      token,
      'AccessControlUnauthorizedAccount',
      [outsider.account.address, ROLES.minter],
    );
  });

  it('refuses a zero admin or cap', async () => {
    const { token, admin } = await networkHelpers.loadFixture(deployGradnet);
    await viem.assertions.revertWithCustomError(viem.deployContract('GradToken', [zeroAddress, 1n]), token, 'ZeroAdmin');
    await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract('GradToken', [admin.account.address, 0n]), token, 'ERC20InvalidCap', [0n]);
  });

  it('accepts an EIP-2612 permit signed by the holder', async () => {
    const { token, alice, bob, publicClient } = await networkHelpers.loadFixture(deployGradnet);
    const deadline = BigInt((await publicClient.getBlock()).timestamp) + 3_600n;
    const nonce = await token.read.nonces([alice.account.address]);
    const signature = await alice.signTypedData({
      domain: { name: 'Gradnet Token', version: '1', chainId: await publicClient.getChainId(), verifyingContract: token.address },
      types: {
        Permit: [
          { name: 'owner', type: 'address' },
          { name: 'spender', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' },
          { name: 'deadline', type: 'uint256' },
        ],
      },
      primaryType: 'Permit',
      message: { owner: alice.account.address, spender: bob.account.address, value: 42n, nonce, deadline },
    });
    const r = `0x${signature.slice(2, 66)}` as const;
    const s = `0x${signature.slice(66, 130)}` as const;
    const v = Number.parseInt(signature.slice(130, 132), 16);
    await token.write.permit([alice.account.address, bob.account.address, 42n, deadline, v, r, s], { account: bob.account });
    assert.equal(await token.read.allowance([alice.account.address, bob.account.address]), 42n);
  });
});
