// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title INodeRegistry
/// @notice Owner wallets (cold: hold the stake) register node keys (hot: the daemon's signing key
///         and libp2p identity) with a stake of at least `minStake`. The node key proves it consents
///         by signing the owner address (EIP-712 `NodeKeyBinding`, in this registry's own domain). A node
///         key is bound to its owner forever: once used it can never be registered again, even after
///         rotation or exit. Slashing is by proof: anyone who shows two different updates signed by a
///         node's current key for one round and base model takes the whole stake, earns a bounty and
///         sends the rest to the reward vault.
interface INodeRegistry {
    /// @notice The signed fields of a gradnet update, exactly as `core/protocol` signs them (EIP-712
    ///         type `Update`, domain `gradnet`/`1`/chain id/RoundLedger).
    /// @param round The round the update is for.
    /// @param baseModelHash The model the update was trained from.
    /// @param nodeKey The node key that signed it.
    /// @param samples Training samples it claims.
    /// @param trainLoss Mean training loss, fixed point 1e6.
    /// @param codec The payload codec (`fp32`, `fp16`, `int8`, `topk`).
    /// @param payloadDigest SHA-256 of the encoded payload.
    /// @param payloadSize Bytes of the encoded payload.
    struct Update {
        uint64 round;
        bytes32 baseModelHash;
        address nodeKey;
        uint64 samples;
        uint64 trainLoss;
        string codec;
        bytes32 payloadDigest;
        uint64 payloadSize;
    }

    /// @notice A node as stored for its owner.
    /// @param nodeKey The current node key; zero when the owner has no node.
    /// @param stake Tokens currently staked.
    /// @param unbondingEndsAt Zero unless exiting; after `requestExit`, the time from which `withdraw` works.
    /// @param active Whether the node may take part in rounds right now (see `isActive`).
    struct NodeInfo {
        address nodeKey;
        uint256 stake;
        uint64 unbondingEndsAt;
        bool active;
    }

    /// @notice Emitted when `owner` registers `nodeKey` with `stake`.
    /// @param owner The owner wallet.
    /// @param nodeKey The node key.
    /// @param stake The stake posted.
    event NodeRegistered(address indexed owner, address indexed nodeKey, uint256 stake);
    /// @notice Emitted when `owner` adds `amount` to its stake.
    /// @param owner The owner wallet.
    /// @param amount Tokens added.
    /// @param stake The stake after the top-up.
    event StakeIncreased(address indexed owner, uint256 amount, uint256 stake);
    /// @notice Emitted when `owner` replaces `oldKey` with `newKey`.
    /// @param owner The owner wallet.
    /// @param oldKey The retired key (never usable again).
    /// @param newKey The new node key.
    event NodeKeyRotated(address indexed owner, address indexed oldKey, address indexed newKey);
    /// @notice Emitted when `owner` starts unbonding; the node stops being active at once.
    /// @param owner The owner wallet.
    /// @param nodeKey The node key that stopped being active.
    /// @param unbondingEndsAt Time from which `withdraw` works.
    event ExitRequested(address indexed owner, address indexed nodeKey, uint64 unbondingEndsAt);
    /// @notice Emitted when `owner` takes back `amount` after unbonding.
    /// @param owner The owner wallet.
    /// @param amount Tokens returned.
    event StakeWithdrawn(address indexed owner, uint256 amount);
    /// @notice Emitted when `owner`'s stake is slashed for two different updates signed by `nodeKey` in `round`.
    /// @param owner The slashed owner.
    /// @param nodeKey The node key that equivocated.
    /// @param round The round it signed two updates for.
    /// @param evidence keccak256 of the two updates' EIP-712 digests in ascending order (`core/protocol`'s evidenceHashOf).
    /// @param amount Tokens taken (the whole stake).
    /// @param bounty The part of `amount` paid to `reporter`; the rest went to the reward vault.
    /// @param reporter The account that submitted the evidence.
    event NodeSlashed(
        address indexed owner,
        address indexed nodeKey,
        uint64 round,
        bytes32 indexed evidence,
        uint256 amount,
        uint256 bounty,
        address reporter
    );
    /// @notice Emitted when the admin changes the minimum stake.
    /// @param minStake The new minimum.
    event MinStakeChanged(uint256 minStake);
    /// @notice Emitted when the admin changes the unbonding period.
    /// @param unbondingPeriod The new period in seconds.
    event UnbondingPeriodChanged(uint64 unbondingPeriod);

    /// @notice The node key given is the zero address.
    error ZeroNodeKey();
    /// @notice A zero address was given where a real account is needed.
    /// @param what Which parameter was zero.
    error ZeroAddress(string what);
    /// @notice An amount of zero tokens was given.
    error ZeroAmount();
    /// @notice The stake offered is below the minimum.
    /// @param stake The stake offered.
    /// @param minStake The current minimum.
    error StakeBelowMinimum(uint256 stake, uint256 minStake);
    /// @notice The caller already has a node.
    /// @param owner The caller.
    /// @param nodeKey Its current node key.
    error AlreadyRegistered(address owner, address nodeKey);
    /// @notice The node key was already used (by anyone, including the caller).
    /// @param nodeKey The key.
    /// @param owner The owner it is bound to.
    error NodeKeyTaken(address nodeKey, address owner);
    /// @notice `owner` has no node.
    /// @param owner The account.
    error NotRegistered(address owner);
    /// @notice `owner` is unbonding, which forbids this action.
    /// @param owner The account.
    /// @param unbondingEndsAt When its unbonding ends.
    error NodeExiting(address owner, uint64 unbondingEndsAt);
    /// @notice `owner` has not called `requestExit`.
    /// @param owner The account.
    error ExitNotRequested(address owner);
    /// @notice The unbonding period has not passed yet.
    /// @param owner The account.
    /// @param unbondingEndsAt When it ends.
    /// @param nowTime The current block time.
    error UnbondingNotOver(address owner, uint64 unbondingEndsAt, uint256 nowTime);
    /// @notice The node key's signature over the owner address does not recover to the node key.
    /// @param nodeKey The key that should have signed.
    /// @param signer The address the signature recovers to (zero when it does not recover at all).
    error NodeKeySignatureInvalid(address nodeKey, address signer);
    /// @notice The slash bounty exceeds 10,000 basis points.
    /// @param bountyBps The bounty given.
    error BountyTooHigh(uint256 bountyBps);
    /// @notice An update's signature does not recover to its `nodeKey` under this chain's and this
    ///         RoundLedger's `gradnet` domain: forged, altered, or signed for another chain or deployment.
    /// @param nodeKey The key the update names.
    /// @param signer The address the signature recovers to (zero when it does not recover at all).
    error UpdateSignatureInvalid(address nodeKey, address signer);
    /// @notice The two updates name different node keys.
    /// @param first The first update's key.
    /// @param second The second update's key.
    error EvidenceKeysDiffer(address first, address second);
    /// @notice The two updates are for different rounds (one update per round is honest).
    /// @param first The first update's round.
    /// @param second The second update's round.
    error EvidenceRoundsDiffer(uint64 first, uint64 second);
    /// @notice The two updates were trained from different base models.
    /// @param first The first update's base model hash.
    /// @param second The second update's base model hash.
    error EvidenceBaseModelsDiffer(bytes32 first, bytes32 second);
    /// @notice The two updates are the same update (same EIP-712 digest).
    /// @param digest Their digest.
    error EvidenceSameUpdate(bytes32 digest);
    /// @notice The node key is not the current key of any node (never registered, rotated out or withdrawn).
    /// @param nodeKey The key.
    error NotCurrentNodeKey(address nodeKey);
    /// @notice The node was already slashed for equivocating in this round.
    /// @param nodeKey The key.
    /// @param round The round.
    error AlreadySlashed(address nodeKey, uint64 round);
    /// @notice The owner has no stake left to slash.
    /// @param owner The account.
    error NothingToSlash(address owner);
    /// @notice The unbonding period exceeds MAX_UNBONDING_PERIOD (365 days).
    /// @param unbondingPeriod The period given.
    error UnbondingPeriodTooLong(uint64 unbondingPeriod);
    /// @notice A stake (or the minimum stake) does not fit the registry's 88-bit stake field.
    /// @param stake The stake that would result.
    error StakeTooLarge(uint256 stake);

    /// @notice Registers `nodeKey` for the caller, pulling `stake` tokens (approve first). The caller's first
    ///         registration also opens its RewardVault account (`openAccount`), so its first claim is cheaper.
    /// @param nodeKey The node's hot key; non-zero and never used before.
    /// @param stake Tokens to stake, at least `minStake`.
    /// @param nodeKeySignature The node key's 65-byte signature of `nodeKeyBindingDigest(msg.sender)`.
    function register(address nodeKey, uint256 stake, bytes calldata nodeKeySignature) external;
    /// @notice Adds `amount` tokens to the caller's stake (approve first).
    /// @param amount Tokens to add.
    function increaseStake(uint256 amount) external;
    /// @notice Replaces the caller's node key; the old key is retired for good.
    /// @param newKey The new, never used, node key.
    /// @param nodeKeySignature The new key's 65-byte signature of `nodeKeyBindingDigest(msg.sender)`.
    function rotateNodeKey(address newKey, bytes calldata nodeKeySignature) external;
    /// @notice Starts unbonding: the node stops being active and `withdraw` works after `unbondingPeriod`.
    function requestExit() external;
    /// @notice Returns the remaining stake to the caller after unbonding and clears its node.
    function withdraw() external;
    /// @notice Slashes the whole stake of the node whose current key signed both updates: two different
    ///         updates for one round and one base model. Anyone may call; the caller earns
    ///         `slashBountyBps` of the stake and the rest goes to the reward vault. One slash per key and round.
    /// @param first One signed update.
    /// @param firstSignature Its 65-byte EIP-712 signature.
    /// @param second Another update for the same round and base model.
    /// @param secondSignature Its 65-byte EIP-712 signature.
    function slashEquivocation(
        Update calldata first,
        bytes calldata firstSignature,
        Update calldata second,
        bytes calldata secondSignature
    ) external;

    /// @notice The EIP-712 digest a node key signs to consent to being bound to `owner` (type
    ///         `NodeKeyBinding(address owner)`, domain `gradnet NodeRegistry`/`1`/chain id/this registry).
    /// @param owner The owner wallet.
    /// @return The digest.
    function nodeKeyBindingDigest(address owner) external view returns (bytes32);
    /// @notice The EIP-712 digest of `update` in the protocol's domain (`gradnet`/`1`/chain id/RoundLedger),
    ///         equal to `core/protocol`'s `updateDigest`.
    /// @param update The update.
    /// @return The digest.
    function updateDigest(Update calldata update) external view returns (bytes32);
    /// @notice Whether `nodeKey` was already slashed for equivocating in `round`.
    /// @param nodeKey The key.
    /// @param round The round.
    /// @return True once slashed.
    function slashedFor(address nodeKey, uint64 round) external view returns (bool);

    /// @notice Smallest stake an active node may hold.
    /// @return Tokens (wei).
    function minStake() external view returns (uint256);
    /// @notice Seconds between `requestExit` and `withdraw` for exits requested from now on.
    /// @return Seconds.
    function unbondingPeriod() external view returns (uint64);
    /// @notice The stake of every registered node that is not exiting (nodes left below a raised
    ///         `minStake` included, so it bounds the stake `activeStakeOf` can sum to). Challenges
    ///         measure their threshold against it.
    /// @return Tokens (wei).
    function totalActiveStake() external view returns (uint256);
    /// @notice The stake behind `nodeKey` when it is active (see `isActive`), else 0.
    /// @param nodeKey The key.
    /// @return Tokens (wei).
    function activeStakeOf(address nodeKey) external view returns (uint256);
    /// @notice Whether `nodeKey` is the current key of a node that is not exiting and holds at least `minStake`.
    /// @param nodeKey The key.
    /// @return True when it may take part in rounds.
    function isActive(address nodeKey) external view returns (bool);
    /// @notice The owner a node key is (or was) bound to; zero if never registered.
    /// @param nodeKey The key.
    /// @return The owner wallet.
    function ownerOf(address nodeKey) external view returns (address);
    /// @notice The node of `owner`.
    /// @param owner The owner wallet.
    /// @return The node record (all zero if none).
    function nodeOf(address owner) external view returns (NodeInfo memory);
    /// @notice How many owners have ever registered (the enumeration length).
    /// @return The count.
    function nodeCount() external view returns (uint256);
    /// @notice A page of the enumeration: owners in registration order and their nodes.
    /// @param offset First index.
    /// @param limit Most entries to return.
    /// @return owners The owner wallets.
    /// @return nodes Their node records.
    function listNodes(uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory owners, NodeInfo[] memory nodes);
}
