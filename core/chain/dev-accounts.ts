import { toHex, type Address, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

/**
 * DEV-ONLY. Hardhat's well-known test mnemonic: every key derived from it is public, so funds
 * sent to these accounts on any real network are taken within seconds. Devnet use only.
 */
export const DEV_ONLY_MNEMONIC = 'test test test test test test test test test test test junk';

/** A DEV-ONLY account of the Hardhat test mnemonic (public keys; never use on a real network). */
export interface DevOnlyAccount {
  index: number;
  address: Address;
  privateKey: Hex;
}

/** The first `count` DEV-ONLY accounts (m/44'/60'/0'/0/i), the same ones `hardhat node` unlocks. */
export function devOnlyAccounts(count: number): DevOnlyAccount[] {
  return Array.from({ length: count }, (_, index) => {
    const account = mnemonicToAccount(DEV_ONLY_MNEMONIC, { addressIndex: index });
    const privateKey = account.getHdKey().privateKey;
    if (!privateKey) throw new Error(`no private key derived for dev account ${index}`);
    return { index, address: account.address, privateKey: toHex(privateKey) };
  });
}
