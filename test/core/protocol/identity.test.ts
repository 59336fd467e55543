import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { privateKeyToAccount } from 'viem/accounts';
import { addressFromPeerKey, gradnetTopics, nodeKeyAddress, nodeKeyBytes, topicKind, InvalidMessageError } from '../../../core/protocol/index.ts';
import { LEDGER, newNodeKey } from './fixtures.ts';

test('a node key gives one identity: the libp2p peer id maps back to its Ethereum address', () => {
  for (let i = 0; i < 5; i++) {
    const { privateKey, address } = newNodeKey();
    assert.equal(address, privateKeyToAccount(privateKey).address);
    const peerId = peerIdFromPrivateKey(privateKeyFromRaw(nodeKeyBytes(privateKey)));
    assert.equal(peerId.type, 'secp256k1');
    // As a receiver sees it: a peer id parsed from the wire, its key inlined.
    assert.equal(addressFromPeerKey(peerIdFromString(peerId.toString()).publicKey), address);
    assert.equal(nodeKeyAddress(nodeKeyBytes(privateKey)), address);
  }
});

test('keys that are not 32-byte secp256k1 keys are refused with a clear error', () => {
  assert.throws(() => nodeKeyBytes('0x1234'), InvalidMessageError);
  assert.throws(() => nodeKeyBytes(new Uint8Array(31)), /32 bytes/);
  assert.equal(addressFromPeerKey(undefined), undefined);
  assert.equal(addressFromPeerKey({ type: 'Ed25519', raw: new Uint8Array(32) }), undefined);
  assert.throws(() => addressFromPeerKey({ type: 'secp256k1', raw: new Uint8Array(33) }), InvalidMessageError);
});

test('topics are versioned and scoped to chain and ledger', () => {
  const topics = gradnetTopics(31337, LEDGER);
  assert.equal(topics.update, `/gradnet/1/31337/${LEDGER}/update`);
  assert.equal(topicKind(topics, topics['model-announce']), 'model-announce');
  assert.equal(topicKind(gradnetTopics(1, LEDGER), topics.update), undefined);
  assert.throws(() => gradnetTopics(0, LEDGER), /chain id/);
  assert.throws(() => gradnetTopics(1, '0xnope' as never), /not an address/);
});
