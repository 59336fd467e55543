import { secp256k1 } from '@noble/curves/secp256k1';
import { bytesToHex, getAddress, type Address, type Hex } from 'viem';
import { privateKeyToAddress, publicKeyToAddress } from 'viem/accounts';
import { InvalidMessageError } from './errors.ts';

/**
 * One secp256k1 key is both a node's libp2p identity and its registered Ethereum node key.
 * These helpers map between the two views.
 */

/** The 32 raw bytes of a node key given as 0x-hex or bytes; refuses anything else. */
export function nodeKeyBytes(privateKey: Hex | Uint8Array): Uint8Array {
  const bytes = typeof privateKey === 'string' ? hexToBytesStrict(privateKey) : privateKey;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== 32) {
    throw new InvalidMessageError('a node key is 32 bytes (64 hex digits); create one with `gradnet wallet new`', bytes?.length);
  }
  return bytes;
}

function hexToBytesStrict(hex: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
    throw new InvalidMessageError('a node key is 0x followed by 64 hex digits', `${hex.slice(0, 6)}…`);
  }
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));
}

export function nodeKeyHex(privateKey: Hex | Uint8Array): Hex {
  return bytesToHex(nodeKeyBytes(privateKey));
}

/** The Ethereum address of a node key. */
export function nodeKeyAddress(privateKey: Hex | Uint8Array): Address {
  return privateKeyToAddress(nodeKeyHex(privateKey));
}

/**
 * The Ethereum address of a secp256k1 public key, compressed (33 bytes, as libp2p keeps it) or
 * uncompressed (65 bytes).
 */
export function addressFromPublicKey(publicKey: Uint8Array): Address {
  let uncompressed: Uint8Array;
  try {
    uncompressed = secp256k1.ProjectivePoint.fromHex(publicKey).toRawBytes(false);
  } catch (error) {
    throw new InvalidMessageError(`not a secp256k1 public key (${publicKey.byteLength} bytes)`, publicKey.byteLength, { cause: error });
  }
  return getAddress(publicKeyToAddress(bytesToHex(uncompressed)));
}

/** A libp2p peer id's key as an address; undefined for peers whose key is not secp256k1. */
export function addressFromPeerKey(key: { type: string; raw: Uint8Array } | undefined): Address | undefined {
  if (key?.type !== 'secp256k1') return undefined;
  return addressFromPublicKey(key.raw);
}
