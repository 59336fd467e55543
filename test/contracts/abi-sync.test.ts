import assert from 'node:assert/strict';
import hre from 'hardhat';
import { staleAbiModules } from '../../scripts/export-abi.ts';

describe('core/chain/abi', () => {
  it('matches the compiled artifacts (run `npm run abi` after changing contracts/)', async () => {
    // Coverage runs compile instrumented bytecode, so only the ABIs are compared then.
    assert.deepEqual(await staleAbiModules({ abiOnly: hre.globalOptions.coverage === true }), []);
  });
});
