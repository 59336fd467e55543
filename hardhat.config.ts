import { createRequire } from 'node:module';
import { configVariable, defineConfig } from 'hardhat/config';
import hardhatIgnitionViem from '@nomicfoundation/hardhat-ignition-viem';
import hardhatKeystore from '@nomicfoundation/hardhat-keystore';
import hardhatMocha from '@nomicfoundation/hardhat-mocha';
import hardhatNetworkHelpers from '@nomicfoundation/hardhat-network-helpers';
import hardhatViem from '@nomicfoundation/hardhat-viem';
import hardhatViemAssertions from '@nomicfoundation/hardhat-viem-assertions';

// These machines cannot download compilers: every profile (Ignition uses `production`)
// compiles with the solcjs build that ships inside the npm `solc` package.
const require = createRequire(import.meta.url);
const solcjs = {
  version: (require('solc/package.json') as { version: string }).version,
  path: require.resolve('solc/soljson.js'),
};
const optimizer = { enabled: true, runs: 10_000 };

export default defineConfig({
  plugins: [hardhatMocha, hardhatViem, hardhatViemAssertions, hardhatNetworkHelpers, hardhatIgnitionViem, hardhatKeystore],
  solidity: {
    profiles: {
      default: { ...solcjs, settings: { optimizer } },
      production: { ...solcjs, settings: { optimizer } },
    },
  },
  // Mocha tests live in test/contracts; Solidity tests are the *.t.sol files under contracts/.
  paths: {
    tests: { mocha: 'test/contracts' },
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      // Kept small so `npm test` stays fast on two cores; raise for a deeper search.
      invariant: { runs: 48, depth: 40, failOnRevert: false },
    },
  },
  networks: {
    // `npx hardhat ignition deploy ignition/modules/Gradnet.ts --network gradnet` (or
    // `gradnet deploy`) against any JSON-RPC endpoint; set both variables with
    // `npx hardhat keystore set` or as environment variables.
    gradnet: {
      type: 'http',
      chainType: 'l1',
      url: configVariable('GRADNET_RPC_URL'),
      accounts: [configVariable('GRADNET_DEPLOYER_KEY')],
    },
  },
});
