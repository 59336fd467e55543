// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title INodeRegistry
/// @notice Owner wallets (cold: hold the stake) register node keys (hot: the daemon's signing key
///         and libp2p identity) with a stake of at least `minStake`. A node key is bound to its owner
///         forever: once used it can never be registered again, even after rotation or exit.
interface INodeRegistry {
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
    /// @notice Emitted when a slasher takes `amount` of `owner`'s stake to the treasury.
    /// @param owner The slashed owner.
    /// @param amount Tokens taken.
    /// @param evidence Hash of the misbehaviour evidence (for example two conflicting signed updates).
    /// @param slasher The account that slashed.
    event NodeSlashed(address indexed owner, uint256 amount, bytes32 indexed evidence, address slasher);
    /// @notice Emitted when the admin changes the minimum stake.
    /// @param minStake The new minimum.
    event MinStakeChanged(uint256 minStake);
    /// @notice Emitted when the admin changes the unbonding period.
    /// @param unbondingPeriod The new period in seconds.
    event UnbondingPeriodChanged(uint64 unbondingPeriod);
    /// @notice Emitted when the admin changes where slashed tokens go.
    /// @param treasury The new treasury.
    event TreasuryChanged(address treasury);

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
    /// @notice A slash asks for more than the stake.
    /// @param owner The account.
    /// @param amount Tokens asked for.
    /// @param stake Its stake.
    error SlashExceedsStake(address owner, uint256 amount, uint256 stake);
    /// @notice The unbonding period exceeds MAX_UNBONDING_PERIOD (365 days).
    /// @param unbondingPeriod The period given.
    error UnbondingPeriodTooLong(uint64 unbondingPeriod);
    /// @notice A stake does not fit the registry's 88-bit stake field.
    /// @param stake The stake that would result.
    error StakeTooLarge(uint256 stake);

    /// @notice Registers `nodeKey` for the caller, pulling `stake` tokens (approve first).
    /// @param nodeKey The node's hot key; non-zero and never used before.
    /// @param stake Tokens to stake, at least `minStake`.
    function register(address nodeKey, uint256 stake) external;
    /// @notice Adds `amount` tokens to the caller's stake (approve first).
    /// @param amount Tokens to add.
    function increaseStake(uint256 amount) external;
    /// @notice Replaces the caller's node key; the old key is retired for good.
    /// @param newKey The new, never used, node key.
    function rotateNodeKey(address newKey) external;
    /// @notice Starts unbonding: the node stops being active and `withdraw` works after `unbondingPeriod`.
    function requestExit() external;
    /// @notice Returns the remaining stake to the caller after unbonding and clears its node.
    function withdraw() external;
    /// @notice Takes `amount` of `owner`'s stake to the treasury; SLASHER_ROLE only.
    /// @param owner The node owner.
    /// @param amount Tokens to take, at most its stake.
    /// @param evidence Hash of the evidence.
    function slash(address owner, uint256 amount, bytes32 evidence) external;

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
