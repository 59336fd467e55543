// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IRewardVault} from "./interfaces/IRewardVault.sol";

/// @title NodeRegistry
/// @notice Stake-backed registration of gradnet nodes. See {INodeRegistry}.
/// @dev Storage is laid out for a cheap `register`: one slot per owner (key, stake, listed flag),
///      one slot per key (its owner) and one enumeration entry; the unbonding time lives in a
///      separate mapping that only `requestExit` writes; the minimum stake, the unbonding period, the
///      running total of active stake and the enumeration's length share one slot, which `register`
///      reads and writes once. An owner's first registration also opens its account in the RewardVault
///      (one slot there), so that its first claim rewrites that slot instead of creating it: the ~22k gas
///      moves from the first claim to the first registration. Two EIP-712 domains: the registry's own
///      (OpenZeppelin's EIP712) for node-key bindings, and the protocol's update domain, which names
///      the RoundLedger, rebuilt per slash so that a chain fork's evidence never verifies here.
contract NodeRegistry is INodeRegistry, AccessControl, EIP712 {
    using SafeERC20 for IERC20;

    /// @notice Longest unbonding period the admin may set, so stakes can never be locked for good.
    uint64 public constant MAX_UNBONDING_PERIOD = 365 days;
    /// @notice Basis points of a whole stake.
    uint256 public constant BPS = 10_000;
    /// @notice EIP-712 type a node key signs to be bound to an owner.
    bytes32 public constant NODE_KEY_BINDING_TYPEHASH = keccak256("NodeKeyBinding(address owner)");
    /// @notice EIP-712 type of a gradnet update (`core/protocol`'s UPDATE_TYPES).
    bytes32 public constant UPDATE_TYPEHASH = keccak256(
        "Update(uint64 round,bytes32 baseModelHash,address nodeKey,uint64 samples,uint64 trainLoss,string codec,bytes32 payloadDigest,uint64 payloadSize)"
    );
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant PROTOCOL_NAME_HASH = keccak256("gradnet");
    bytes32 private constant PROTOCOL_VERSION_HASH = keccak256("1");

    struct Node {
        address nodeKey;
        uint88 stake;
        bool listed;
    }

    // The stake of every registered node that is not exiting is in `totalActiveStake`: register and
    // increaseStake add, requestExit and slashing a non-exiting node subtract. `ownerCount` is the
    // enumeration's length; the unbonding period fits 32 bits (at most MAX_UNBONDING_PERIOD).
    struct Params {
        uint88 minStake;
        uint32 unbondingPeriod;
        uint96 totalActiveStake;
        uint40 ownerCount;
    }

    /// @notice The staking token.
    IERC20 public immutable token;
    /// @notice The RoundLedger that names the protocol's EIP-712 update domain (fixed at deployment).
    address public immutable roundLedger;
    /// @notice Receiver of slashed stake less the bounty: the reward pool (fixed at deployment).
    address public immutable rewardVault;
    /// @notice Share of a slashed stake paid to whoever submitted the evidence, in basis points.
    uint256 public immutable slashBountyBps;
    Params private _params;

    mapping(address owner => Node) private _nodes;
    mapping(address owner => uint64) private _unbondingEndsAt;
    mapping(address nodeKey => address owner) private _keyOwner;
    mapping(address nodeKey => mapping(uint64 round => bool)) private _slashed;
    mapping(uint256 index => address owner) private _owners;

    /// @param stakeToken The staking token.
    /// @param initialMinStake The minimum stake.
    /// @param initialUnbondingPeriod Seconds of unbonding.
    /// @param ledger The RoundLedger whose address is the update domain's verifying contract.
    /// @param vault Receiver of slashed stake less the bounty (the RewardVault).
    /// @param bountyBps The reporter's share of a slashed stake, at most 10,000.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    constructor(
        IERC20 stakeToken,
        uint256 initialMinStake,
        uint64 initialUnbondingPeriod,
        address ledger,
        address vault,
        uint256 bountyBps,
        address admin
    ) EIP712("gradnet NodeRegistry", "1") {
        if (address(stakeToken) == address(0)) revert ZeroAddress("token");
        if (ledger == address(0)) revert ZeroAddress("roundLedger");
        if (vault == address(0)) revert ZeroAddress("rewardVault");
        if (admin == address(0)) revert ZeroAddress("admin");
        if (initialUnbondingPeriod > MAX_UNBONDING_PERIOD) revert UnbondingPeriodTooLong(initialUnbondingPeriod);
        if (bountyBps > BPS) revert BountyTooHigh(bountyBps);
        token = stakeToken;
        roundLedger = ledger;
        rewardVault = vault;
        slashBountyBps = bountyBps;
        _params = Params({
            minStake: _toStake(initialMinStake),
            unbondingPeriod: uint32(initialUnbondingPeriod),
            totalActiveStake: 0,
            ownerCount: 0
        });
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc INodeRegistry
    function register(address nodeKey, uint256 stake, bytes calldata nodeKeySignature) external {
        if (nodeKey == address(0)) revert ZeroNodeKey();
        Node storage node = _nodes[msg.sender];
        if (node.nodeKey != address(0)) revert AlreadyRegistered(msg.sender, node.nodeKey);
        _claimKey(nodeKey, nodeKeySignature);
        Params memory params = _params;
        if (stake < params.minStake) revert StakeBelowMinimum(stake, params.minStake);
        bool firstRegistration = !node.listed;
        _nodes[msg.sender] = Node({nodeKey: nodeKey, stake: _toStake(stake), listed: true});
        params.totalActiveStake += uint96(stake);
        if (firstRegistration) {
            _owners[params.ownerCount] = msg.sender;
            ++params.ownerCount;
        }
        _params = params;
        emit NodeRegistered(msg.sender, nodeKey, stake);
        // The vault is fixed at deployment; its account stays open across exits, so only the first
        // registration opens it.
        if (firstRegistration) IRewardVault(rewardVault).openAccount(msg.sender);
        token.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @inheritdoc INodeRegistry
    function increaseStake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Node storage node = _requireNotExiting(msg.sender);
        uint256 stake = uint256(node.stake) + amount;
        node.stake = _toStake(stake);
        _params.totalActiveStake += uint96(amount);
        emit StakeIncreased(msg.sender, amount, stake);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc INodeRegistry
    function rotateNodeKey(address newKey, bytes calldata nodeKeySignature) external {
        if (newKey == address(0)) revert ZeroNodeKey();
        Node storage node = _requireNotExiting(msg.sender);
        _claimKey(newKey, nodeKeySignature);
        address oldKey = node.nodeKey;
        node.nodeKey = newKey;
        emit NodeKeyRotated(msg.sender, oldKey, newKey);
    }

    /// @inheritdoc INodeRegistry
    function requestExit() external {
        Node storage node = _requireNotExiting(msg.sender);
        Params memory params = _params;
        uint64 endsAt = uint64(block.timestamp) + params.unbondingPeriod;
        _unbondingEndsAt[msg.sender] = endsAt;
        _params.totalActiveStake = params.totalActiveStake - node.stake;
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
    function slashEquivocation(
        Update calldata first,
        bytes calldata firstSignature,
        Update calldata second,
        bytes calldata secondSignature
    ) external {
        address nodeKey = first.nodeKey;
        if (second.nodeKey != nodeKey) revert EvidenceKeysDiffer(nodeKey, second.nodeKey);
        uint64 round = first.round;
        if (second.round != round) revert EvidenceRoundsDiffer(round, second.round);
        if (second.baseModelHash != first.baseModelHash) {
            revert EvidenceBaseModelsDiffer(first.baseModelHash, second.baseModelHash);
        }
        bytes32 domainSeparator = _updateDomainSeparator();
        bytes32 firstDigest = MessageHashUtils.toTypedDataHash(domainSeparator, _updateStructHash(first));
        bytes32 secondDigest = MessageHashUtils.toTypedDataHash(domainSeparator, _updateStructHash(second));
        if (firstDigest == secondDigest) revert EvidenceSameUpdate(firstDigest);
        _requireSigner(firstDigest, firstSignature, nodeKey);
        _requireSigner(secondDigest, secondSignature, nodeKey);

        address owner = _keyOwner[nodeKey];
        Node storage node = _nodes[owner];
        if (owner == address(0) || node.nodeKey != nodeKey) revert NotCurrentNodeKey(nodeKey);
        if (_slashed[nodeKey][round]) revert AlreadySlashed(nodeKey, round);
        uint256 amount = node.stake;
        if (amount == 0) revert NothingToSlash(owner);
        _slashed[nodeKey][round] = true;
        node.stake = 0;
        // An exiting node's stake already left the active total.
        if (_unbondingEndsAt[owner] == 0) _params.totalActiveStake -= uint96(amount);
        uint256 bounty = amount * slashBountyBps / BPS;
        bytes32 evidence = firstDigest < secondDigest
            ? keccak256(abi.encodePacked(firstDigest, secondDigest))
            : keccak256(abi.encodePacked(secondDigest, firstDigest));
        emit NodeSlashed(owner, nodeKey, round, evidence, amount, bounty, msg.sender);
        if (bounty > 0) token.safeTransfer(msg.sender, bounty);
        if (amount > bounty) token.safeTransfer(rewardVault, amount - bounty);
    }

    /// @notice Sets the minimum stake; nodes below it become inactive until they top up.
    /// @param newMinStake The new minimum.
    function setMinStake(uint256 newMinStake) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _params.minStake = _toStake(newMinStake);
        emit MinStakeChanged(newMinStake);
    }

    /// @notice Sets the unbonding period for exits requested from now on.
    /// @param newPeriod Seconds, at most MAX_UNBONDING_PERIOD.
    function setUnbondingPeriod(uint64 newPeriod) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newPeriod > MAX_UNBONDING_PERIOD) revert UnbondingPeriodTooLong(newPeriod);
        _params.unbondingPeriod = uint32(newPeriod);
        emit UnbondingPeriodChanged(newPeriod);
    }


    /// @inheritdoc INodeRegistry
    function minStake() external view returns (uint256) {
        return _params.minStake;
    }

    /// @inheritdoc INodeRegistry
    function unbondingPeriod() external view returns (uint64) {
        return _params.unbondingPeriod;
    }

    /// @inheritdoc INodeRegistry
    function totalActiveStake() external view returns (uint256) {
        return _params.totalActiveStake;
    }

    /// @inheritdoc INodeRegistry
    function isActive(address nodeKey) public view returns (bool active) {
        (active,) = _activeStake(nodeKey);
    }

    /// @inheritdoc INodeRegistry
    function activeStakeOf(address nodeKey) external view returns (uint256) {
        (bool active, uint256 stake) = _activeStake(nodeKey);
        return active ? stake : 0;
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
        return _params.ownerCount;
    }

    /// @inheritdoc INodeRegistry
    function listNodes(uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory owners, NodeInfo[] memory nodes)
    {
        uint256 total = _params.ownerCount;
        uint256 end = offset >= total ? offset : (limit > total - offset ? total : offset + limit);
        uint256 count = end - offset;
        owners = new address[](count);
        nodes = new NodeInfo[](count);
        for (uint256 i = 0; i < count; ++i) {
            owners[i] = _owners[offset + i];
            nodes[i] = nodeOf(owners[i]);
        }
    }

    /// @inheritdoc INodeRegistry
    function nodeKeyBindingDigest(address owner) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(NODE_KEY_BINDING_TYPEHASH, owner)));
    }

    /// @inheritdoc INodeRegistry
    function updateDigest(Update calldata update) external view returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(_updateDomainSeparator(), _updateStructHash(update));
    }

    /// @inheritdoc INodeRegistry
    function slashedFor(address nodeKey, uint64 round) external view returns (bool) {
        return _slashed[nodeKey][round];
    }

    function _activeStake(address nodeKey) private view returns (bool active, uint256 stake) {
        if (nodeKey == address(0)) return (false, 0);
        address owner = _keyOwner[nodeKey];
        Node storage node = _nodes[owner];
        stake = node.stake;
        active = node.nodeKey == nodeKey && _unbondingEndsAt[owner] == 0 && stake >= _params.minStake;
    }

    /// @dev Binds a never-used key to the caller for good, once the key has signed the caller's address.
    function _claimKey(address nodeKey, bytes calldata nodeKeySignature) private {
        address bound = _keyOwner[nodeKey];
        if (bound != address(0)) revert NodeKeyTaken(nodeKey, bound);
        (address signer,,) = ECDSA.tryRecoverCalldata(nodeKeyBindingDigest(msg.sender), nodeKeySignature);
        if (signer != nodeKey) revert NodeKeySignatureInvalid(nodeKey, signer);
        _keyOwner[nodeKey] = msg.sender;
    }

    /// @dev The protocol's domain (`core/protocol`'s gradnetDomain) for this chain and RoundLedger.
    function _updateDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, PROTOCOL_NAME_HASH, PROTOCOL_VERSION_HASH, block.chainid, roundLedger));
    }

    function _updateStructHash(Update calldata update) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                UPDATE_TYPEHASH,
                update.round,
                update.baseModelHash,
                update.nodeKey,
                update.samples,
                update.trainLoss,
                keccak256(bytes(update.codec)),
                update.payloadDigest,
                update.payloadSize
            )
        );
    }

    function _requireSigner(bytes32 digest, bytes calldata signature, address nodeKey) private pure {
        (address signer,,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (signer != nodeKey) revert UpdateSignatureInvalid(nodeKey, signer);
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
