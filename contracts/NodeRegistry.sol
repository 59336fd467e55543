// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title NodeRegistry
/// @notice Stake-backed registration of gradnet nodes. See {INodeRegistry}.
/// @dev Storage is laid out for a cheap `register`: one slot per owner (key, stake, listed flag),
///      one slot per key (its owner) and one enumeration entry; the unbonding time lives in a
///      separate mapping that only `requestExit` writes.
contract NodeRegistry is INodeRegistry, AccessControl {
    using SafeERC20 for IERC20;

    /// @notice Role allowed to slash stakes (granted to the coordinator).
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @notice Longest unbonding period the admin may set, so stakes can never be locked for good.
    uint64 public constant MAX_UNBONDING_PERIOD = 365 days;

    struct Node {
        address nodeKey;
        uint88 stake;
        bool listed;
    }

    /// @notice The staking token.
    IERC20 public immutable token;
    /// @notice Smallest stake an active node may hold.
    uint256 public minStake;
    /// @notice Seconds between `requestExit` and `withdraw`.
    uint64 public unbondingPeriod;
    /// @notice Receiver of slashed tokens.
    address public treasury;

    mapping(address owner => Node) private _nodes;
    mapping(address owner => uint64) private _unbondingEndsAt;
    mapping(address nodeKey => address owner) private _keyOwner;
    address[] private _owners;

    /// @param stakeToken The staking token.
    /// @param initialMinStake The minimum stake.
    /// @param initialUnbondingPeriod Seconds of unbonding.
    /// @param initialTreasury Receiver of slashed tokens.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    constructor(
        IERC20 stakeToken,
        uint256 initialMinStake,
        uint64 initialUnbondingPeriod,
        address initialTreasury,
        address admin
    ) {
        if (address(stakeToken) == address(0)) revert ZeroAddress("token");
        if (initialTreasury == address(0)) revert ZeroAddress("treasury");
        if (admin == address(0)) revert ZeroAddress("admin");
        if (initialUnbondingPeriod > MAX_UNBONDING_PERIOD) revert UnbondingPeriodTooLong(initialUnbondingPeriod);
        token = stakeToken;
        minStake = initialMinStake;
        unbondingPeriod = initialUnbondingPeriod;
        treasury = initialTreasury;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc INodeRegistry
    function register(address nodeKey, uint256 stake) external {
        if (nodeKey == address(0)) revert ZeroNodeKey();
        Node storage node = _nodes[msg.sender];
        if (node.nodeKey != address(0)) revert AlreadyRegistered(msg.sender, node.nodeKey);
        _claimKey(nodeKey);
        uint256 minimum = minStake;
        if (stake < minimum) revert StakeBelowMinimum(stake, minimum);
        node.nodeKey = nodeKey;
        node.stake = _toStake(stake);
        if (!node.listed) {
            node.listed = true;
            _owners.push(msg.sender);
        }
        emit NodeRegistered(msg.sender, nodeKey, stake);
        token.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @inheritdoc INodeRegistry
    function increaseStake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Node storage node = _requireNotExiting(msg.sender);
        uint256 stake = uint256(node.stake) + amount;
        node.stake = _toStake(stake);
        emit StakeIncreased(msg.sender, amount, stake);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeRegistry
    function rotateNodeKey(address newKey) external {
        if (newKey == address(0)) revert ZeroNodeKey();
        Node storage node = _requireNotExiting(msg.sender);
        _claimKey(newKey);
        address oldKey = node.nodeKey;
        node.nodeKey = newKey;
        emit NodeKeyRotated(msg.sender, oldKey, newKey);
    }

    /// @inheritdoc INodeRegistry
    function requestExit() external {
        Node storage node = _requireNotExiting(msg.sender);
        uint64 endsAt = uint64(block.timestamp) + unbondingPeriod;
        _unbondingEndsAt[msg.sender] = endsAt;
        emit ExitRequested(msg.sender, node.nodeKey, endsAt);
    }

    /// @inheritdoc INodeRegistry
    function withdraw() external {
        Node storage node = _requireRegistered(msg.sender);
        uint64 endsAt = _unbondingEndsAt[msg.sender];
        if (endsAt == 0) revert ExitNotRequested(msg.sender);
        if (block.timestamp < endsAt) revert UnbondingNotOver(msg.sender, endsAt, block.timestamp);
        uint256 amount = node.stake;
        node.nodeKey = address(0);
        node.stake = 0;
        delete _unbondingEndsAt[msg.sender];
        emit StakeWithdrawn(msg.sender, amount);
        if (amount > 0) token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc INodeRegistry
    function slash(address owner, uint256 amount, bytes32 evidence) external onlyRole(SLASHER_ROLE) {
        if (amount == 0) revert ZeroAmount();
        Node storage node = _requireRegistered(owner);
        uint256 stake = node.stake;
        if (amount > stake) revert SlashExceedsStake(owner, amount, stake);
        node.stake = uint88(stake - amount);
        emit NodeSlashed(owner, amount, evidence, msg.sender);
        token.safeTransfer(treasury, amount);
    }

    /// @notice Sets the minimum stake; nodes below it become inactive until they top up.
    /// @param newMinStake The new minimum.
    function setMinStake(uint256 newMinStake) external onlyRole(DEFAULT_ADMIN_ROLE) {
        minStake = newMinStake;
        emit MinStakeChanged(newMinStake);
    }

    /// @notice Sets the unbonding period for exits requested from now on.
    /// @param newPeriod Seconds, at most MAX_UNBONDING_PERIOD.
    function setUnbondingPeriod(uint64 newPeriod) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newPeriod > MAX_UNBONDING_PERIOD) revert UnbondingPeriodTooLong(newPeriod);
        unbondingPeriod = newPeriod;
        emit UnbondingPeriodChanged(newPeriod);
    }

    /// @notice Sets where slashed tokens go.
    /// @param newTreasury The new treasury, non-zero.
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newTreasury == address(0)) revert ZeroAddress("treasury");
        treasury = newTreasury;
        emit TreasuryChanged(newTreasury);
    }

    /// @inheritdoc INodeRegistry
    function isActive(address nodeKey) public view returns (bool) {
        if (nodeKey == address(0)) return false;
        address owner = _keyOwner[nodeKey];
        Node storage node = _nodes[owner];
        return node.nodeKey == nodeKey && _unbondingEndsAt[owner] == 0 && node.stake >= minStake;
    }

    /// @inheritdoc INodeRegistry
    function ownerOf(address nodeKey) external view returns (address) {
        return _keyOwner[nodeKey];
    }

    /// @inheritdoc INodeRegistry
    function nodeOf(address owner) public view returns (NodeInfo memory) {
        Node storage node = _nodes[owner];
        return NodeInfo({
            nodeKey: node.nodeKey,
            stake: node.stake,
            unbondingEndsAt: _unbondingEndsAt[owner],
            active: isActive(node.nodeKey)
        });
    }

    /// @inheritdoc INodeRegistry
    function nodeCount() external view returns (uint256) {
        return _owners.length;
    }

    /// @inheritdoc INodeRegistry
    function listNodes(uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory owners, NodeInfo[] memory nodes)
    {
        uint256 total = _owners.length;
        uint256 end = offset >= total ? offset : (limit > total - offset ? total : offset + limit);
        uint256 count = end - offset;
        owners = new address[](count);
        nodes = new NodeInfo[](count);
        for (uint256 i = 0; i < count; ++i) {
            owners[i] = _owners[offset + i];
            nodes[i] = nodeOf(owners[i]);
        }
    }

    /// @dev Binds a never-used key to the caller for good.
    function _claimKey(address nodeKey) private {
        address bound = _keyOwner[nodeKey];
        if (bound != address(0)) revert NodeKeyTaken(nodeKey, bound);
        _keyOwner[nodeKey] = msg.sender;
    }

    function _requireRegistered(address owner) private view returns (Node storage node) {
        node = _nodes[owner];
        if (node.nodeKey == address(0)) revert NotRegistered(owner);
    }

    function _requireNotExiting(address owner) private view returns (Node storage node) {
        node = _requireRegistered(owner);
        uint64 endsAt = _unbondingEndsAt[owner];
        if (endsAt != 0) revert NodeExiting(owner, endsAt);
    }

    function _toStake(uint256 stake) private pure returns (uint88) {
        if (stake > type(uint88).max) revert StakeTooLarge(stake);
        return uint88(stake);
    }
}
