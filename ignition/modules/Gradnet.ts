import { buildModule } from '@nomicfoundation/ignition-core';
import { defineGradnetModule, GRADNET_MODULE_ID } from '../../core/chain/index.ts';

// The module `gradnet deploy` deploys too (core/chain defines it), for
// `npx hardhat ignition deploy ignition/modules/Gradnet.ts`. The defaults serve that command;
// `gradnet deploy` passes every parameter explicitly. Override with `--parameters params.json`:
// {"Gradnet": {"coordinator": "0x…", "governor": "0x…", "genesisModelHash": "0x…", "slashBountyBps": 1000,
//  "challengeWindow": 3600, "coordinatorBond": "1000000000000000000000", "challengeThresholdBps": 3334,
//  "challengerShareBps": 2000, "timelockDelay": 172800, "tokenCap": "1000000000000000000000000000", …}}.
export default buildModule(GRADNET_MODULE_ID, defineGradnetModule);
