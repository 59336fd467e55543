// The JSON the explorer's server sends its page. Shared by the server (explorer/*.ts) and the
// browser bundle (explorer/client/), so it imports nothing: token amounts travel as decimal
// strings of wei, hashes and addresses as 0x strings, times as Unix milliseconds.

/**
 * A commit's standing: `pending` while its challenge window runs, `final` after (its rewards
 * claimable for good), `voided` when a challenge took it back.
 */
export type RoundStatus = 'pending' | 'final' | 'voided';

/** One commit of a round, from its RoundCommitted event and the ledger's challenge window. */
export interface RoundSummary {
  round: number;
  status: RoundStatus;
  /** When a pending commit becomes final (its window's end, on the server's clock); null otherwise. */
  finalAtMs: number | null;
  modelHash: string;
  parentHash: string;
  contributors: number;
  samples: number;
  /** Validation loss and accuracy as committed (the ledger's 1e6 fixed point, as numbers). */
  loss: number;
  accuracy: number;
  /** Wei added to the cumulative rewards by this round. */
  reward: string;
  block: number;
  committedMs: number;
  txHash: string;
}

/** What the coordinator's `/status` says about the open round, or why it could not be read. */
export type CoordinatorStatus =
  | { url: string; phase: string; round: number | null; accepted: number; quorum: number; deadlineMs: number | null; halted: string | null; online: number }
  | { url: string; error: string };

export interface NetworkSummary {
  chainId: number;
  rpcUrl: string;
  blockNumber: number;
  contracts: Record<string, string>;
  roundCount: number;
  latestModelHash: string;
  lastCommitMs: number | null;
  /** Null when the explorer was started without a coordinator URL. */
  coordinator: CoordinatorStatus | null;
  nodes: { registered: number; active: number };
  totalStaked: string;
  /** Wei the committed rounds made claimable in all, and what the vault has paid out. */
  rewardsCommitted: string;
  rewardsPaid: string;
}

/** The overview page: the network and every committed round, newest first. */
export interface Overview {
  /** Changes whenever something on the page changed; the event stream sends it. */
  version: number;
  network: NetworkSummary;
  rounds: RoundSummary[];
}

/** One update of a round, as the coordinator recorded, aggregated and scored it. */
export interface RoundUpdate {
  nodeKey: string | null;
  owner: string | null;
  digest: string | null;
  samples: number;
  trainLoss: number;
  /** accepted or rejected on receipt (with `reason`). */
  verdict: string;
  reason: string | null;
  norm: number | null;
  clipScale: number | null;
  cosine: number | null;
  /** Whether the aggregation rule counted it at full weight; null when it never reached aggregation. */
  selected: boolean | null;
  score: number | null;
  /** The scorer's verdict (e.g. `improves`, `copy`, `no_gain`) and whose payload a copy repeats. */
  scoreVerdict: string | null;
  copyOf: string | null;
  /** Wei paid to its owner in this round. */
  reward: string | null;
}

/** A challenge that voided rounds on chain (RoundChallenges' `RoundChallenged`). */
export interface ChallengeSummary {
  /** The challenged round and the last one voided with it. */
  round: number;
  throughRound: number;
  coordinator: string;
  challenger: string;
  /** How many signed mismatch/unavailable verdicts it carried, and the active stake behind them. */
  verdicts: number;
  stakeAgainst: string;
  totalActiveStake: string;
  bondSlashed: string;
  block: number;
  txHash: string;
}

/** A verdict an auditing peer gossiped about a round, when the coordinator reports them. */
/** A signed verdict an auditing peer gossiped on a round (match, mismatch or unavailable), as the coordinator recorded it. */
export interface AuditVerdict {
  nodeKey: string;
  verdict: string;
  modelHash: string | null;
  rewardsRoot: string | null;
  /** When the coordinator received it (unix ms). */
  receivedMs: number | null;
}

export interface RoundDetail {
  version: number;
  round: number;
  /** The round as committed on chain; null while it is only open at the coordinator. */
  summary: RoundSummary | null;
  /** Commits of this round id that challenges voided, and the challenges that voided them. */
  voided: RoundSummary[];
  challenges: ChallengeSummary[];
  /** The coordinator's side; null without a coordinator, or with `error` when it did not answer. */
  coordinator:
    | null
    | { error: string }
    | {
        state: string;
        updates: RoundUpdate[];
        totalUpdates: number;
        stats: Record<string, string | number | boolean | null>;
        refusals: { entries: number; messages: number };
        verdicts: AuditVerdict[] | null;
      };
}

export type NodeState = 'active' | 'failed' | 'exiting' | 'slashed' | 'withdrawn' | 'inactive';

export interface NodeRow {
  owner: string;
  nodeKey: string;
  stake: string;
  state: NodeState;
  /** The coordinator's view (null without one): liveness, last heartbeat, missed rounds. */
  liveness: string | null;
  lastSeenMs: number | null;
  missedRounds: number | null;
  roundsContributed: number | null;
  earned: string | null;
  claimed: string;
}

export interface NodesPage {
  version: number;
  nodes: NodeRow[];
}

export interface OwnerPage {
  version: number;
  owner: string;
  node: NodeRow | null;
  /** Per committed round, what the owner earned (rounds with nothing are left out). */
  earnings: { round: number; reward: string; samples: number }[];
  /** The coordinator's cumulative figures, verified against the ledger's rewards root. */
  statement:
    | null
    | { error: string }
    | { asOfRound: number; cumulativeReward: string; cumulativeRounds: string; cumulativeSamples: string; claimed: string; claimable: string };
  /** The command that claims it. */
  claimCommand: string;
}
