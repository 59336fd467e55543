// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {NodeRegistry} from "../NodeRegistry.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";

/// @notice The few cheatcodes the tests use (forge-std cannot be fetched on these machines).
// solhint-disable-next-line interface-starts-with-i
interface Vm {
    function prank(address sender) external;
    function warp(uint256 timestamp) external;
    function expectRevert(bytes calldata revertData) external;
    function addr(uint256 privateKey) external returns (address);
    function sign(uint256 privateKey, bytes32 digest) external returns (uint8 v, bytes32 r, bytes32 s);
}

/// @notice Node keys that sign as a daemon does: the registry binding and EIP-712 updates.
abstract contract GradnetSigner {
    Vm internal constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev secp256k1's group order: private keys lie in [1, order).
    uint256 internal constant SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    /// @dev A valid private key derived from `seed`.
    function _privateKey(bytes memory seed) internal pure returns (uint256) {
        return 1 + uint256(keccak256(seed)) % (SECP256K1_ORDER - 1);
    }

    function _sign(uint256 privateKey, bytes32 digest) internal returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(privateKey, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev Registers the key of `privateKey` for `owner` with `stake` (already approved), signed by the key.
    function _registerSigned(NodeRegistry registry, address owner, uint256 privateKey, uint256 stake) internal {
        bytes memory signature = _sign(privateKey, registry.nodeKeyBindingDigest(owner));
        VM.prank(owner);
        registry.register(VM.addr(privateKey), stake, signature);
    }

    /// @dev An update by the key of `privateKey`; `variant` changes the payload digest (a different update).
    function _update(uint256 privateKey, uint64 round, bytes32 base, uint256 variant)
        internal
        returns (INodeRegistry.Update memory)
    {
        return INodeRegistry.Update({
            round: round,
            baseModelHash: base,
            nodeKey: VM.addr(privateKey),
            samples: 600,
            trainLoss: 412_000,
            codec: "topk",
            payloadDigest: keccak256(abi.encode("payload", variant)),
            payloadSize: 4_096
        });
    }

    /// @dev `update` signed by `privateKey` in the protocol's domain.
    function _signUpdate(NodeRegistry registry, uint256 privateKey, INodeRegistry.Update memory update)
        internal
        returns (bytes memory)
    {
        return _sign(privateKey, registry.updateDigest(update));
    }
}
