import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { NetworkSummary, NodeRow, NodesPage, Overview, OwnerPage, RoundDetail, RoundSummary, RoundUpdate } from '../model.ts';
import { useData, type Loaded } from './api.ts';
import { RoundChart } from './chart.tsx';
import { ago, count, fixed, grad, percent, plural, short, time } from './format.ts';

/** The current time, ticking every second (for "12 s ago"). */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** Shows a view once its data is there; an error keeps the last data on screen under a notice. */
function Show<T>(props: { data: Loaded<T>; children: (value: T) => ComponentChildren }) {
  const { data } = props;
  if (data.state === 'loading') return <p aria-busy="true">Loading…</p>;
  if (data.state === 'error') {
    return (
      <>
        <p class="error" role="alert">Could not load: {data.message}</p>
        {data.last !== undefined && props.children(data.last)}
      </>
    );
  }
  return <>{props.children(data.value)}</>;
}

/** A full hash or address, shortened on screen, whole in the title and for screen readers. */
function Hash(props: { value: string | null; testid?: string }) {
  if (props.value === null) return <span>—</span>;
  return (
    <code title={props.value} aria-label={props.value} data-testid={props.testid} data-value={props.value}>
      {short(props.value)}
    </code>
  );
}

/** A table that scrolls sideways on a narrow screen instead of breaking the layout (and can be scrolled by keyboard). */
function Table(props: { caption: string; children: ComponentChildren }) {
  return (
    <div class="scroll" role="region" aria-label={props.caption} tabIndex={0}>
      <table>
        <caption>{props.caption}</caption>
        {props.children}
      </table>
    </div>
  );
}

function Tokens(props: { wei: string | null; testid?: string }) {
  return (
    <span title={props.wei === null ? undefined : `${props.wei} wei`} data-testid={props.testid} data-wei={props.wei ?? undefined}>
      {grad(props.wei)}
    </span>
  );
}

function StatusBadge(props: { status: string }) {
  return <span class={`badge badge-${props.status}`}>{props.status}</span>;
}

/** A commit's status; a pending one says when its challenge window ends. */
function RoundStatusBadge(props: { round: RoundSummary; now: number }) {
  const { round, now } = props;
  if (round.status !== 'pending' || round.finalAtMs === null) return <StatusBadge status={round.status} />;
  const seconds = Math.max(0, Math.ceil((round.finalAtMs - now) / 1000));
  return (
    <span title={`challengeable until ${time(round.finalAtMs)}`}>
      <StatusBadge status="pending" /> <small>{seconds > 0 ? `final in ${seconds} s` : 'final at the next block'}</small>
    </span>
  );
}

/** Marked once, when the rounds first show: test/explorer/measure.ts reads it as the first render time. */
const FIRST_RENDER_MARK = 'explorer:first-render';

export function OverviewView(props: { version: number }) {
  const data = useData<Overview>('overview', props.version);
  useEffect(() => {
    if (data.state === 'ready' && performance.getEntriesByName(FIRST_RENDER_MARK).length === 0) performance.mark(FIRST_RENDER_MARK);
  }, [data]);
  return (
    <Show data={data}>
      {(overview) => (
        <>
          <p class="visually-hidden" role="status">{overview.network.roundCount} rounds committed</p>
          <Network network={overview.network} />
          <Charts rounds={overview.rounds} />
          <RoundsTable rounds={overview.rounds} />
        </>
      )}
    </Show>
  );
}

function Network(props: { network: NetworkSummary }) {
  const { network } = props;
  const now = useNow();
  const coordinator = network.coordinator;
  return (
    <section aria-labelledby="network-heading">
      <h2 id="network-heading">Network</h2>
      <dl class="facts">
        <div><dt>Chain</dt><dd>{network.chainId} at <code>{network.rpcUrl}</code>, block {count(network.blockNumber)}</dd></div>
        <div><dt>Rounds committed</dt><dd data-testid="round-count">{network.roundCount}</dd></div>
        <div><dt>Latest model</dt><dd><Hash value={network.latestModelHash} testid="latest-model-hash" /></dd></div>
        <div><dt>Last commit</dt><dd>{ago(network.lastCommitMs, now)}</dd></div>
        <div>
          <dt>Current round</dt>
          <dd>
            {coordinator === null ? 'no coordinator given' : 'error' in coordinator ? <span class="error">coordinator unreachable: {coordinator.error}</span>
              : <>{coordinator.round ?? '—'} <StatusBadge status={coordinator.halted ? 'halted' : coordinator.phase} /> {coordinator.accepted}/{coordinator.quorum} updates{coordinator.halted ? ` (${coordinator.halted})` : ''}</>}
          </dd>
        </div>
        <div><dt>Nodes</dt><dd>{network.nodes.active} active of {network.nodes.registered} registered{coordinator !== null && !('error' in coordinator) ? `, ${coordinator.online} online` : ''}</dd></div>
        <div><dt>Total staked</dt><dd><Tokens wei={network.totalStaked} /></dd></div>
        <div><dt>Rewards</dt><dd><Tokens wei={network.rewardsCommitted} /> committed, <Tokens wei={network.rewardsPaid} testid="rewards-paid" /> paid</dd></div>
      </dl>
      <details>
        <summary>Contracts</summary>
        <ul class="contracts">
          {Object.entries(network.contracts).map(([name, address]) => <li key={name}>{name} <code>{address}</code></li>)}
        </ul>
      </details>
    </section>
  );
}

function Charts(props: { rounds: RoundSummary[] }) {
  const series = useMemo(() => {
    const ordered = props.rounds.filter((round) => round.status !== 'voided').reverse();
    return { rounds: ordered.map((round) => round.round), accuracy: ordered.map((round) => round.accuracy / 1e4), loss: ordered.map((round) => round.loss / 1e6) };
  }, [props.rounds]);
  return (
    <section aria-labelledby="charts-heading">
      <h2 id="charts-heading">Training</h2>
      <div class="charts">
        <RoundChart title="Validation accuracy" rounds={series.rounds} values={series.accuracy} color="#2a7ab0" format={(value) => `${value.toFixed(1)}%`} />
        <RoundChart title="Validation loss" rounds={series.rounds} values={series.loss} color="#c0502a" format={(value) => value.toFixed(3)} />
      </div>
    </section>
  );
}

function RoundsTable(props: { rounds: RoundSummary[] }) {
  const now = useNow();
  const current = props.rounds.filter((round) => round.status !== 'voided').length;
  const voided = props.rounds.length - current;
  return (
    <section aria-labelledby="rounds-heading">
      <h2 id="rounds-heading">Rounds</h2>
      <Table caption={`${current} committed rounds, newest first${voided > 0 ? `, with ${plural(voided, 'commit')} a challenge voided` : ''}`}>
        <thead>
          <tr>
            <th scope="col">Round</th><th scope="col">Status</th><th scope="col">Model</th><th scope="col">Parent</th><th scope="col">Contributors</th>
            <th scope="col">Samples</th><th scope="col">Loss</th><th scope="col">Accuracy</th><th scope="col">Reward</th><th scope="col">Block</th><th scope="col">Committed</th>
          </tr>
        </thead>
        <tbody>
          {props.rounds.map((round) => (
            <tr key={`${round.round}@${round.block}`} data-round={round.status === 'voided' ? undefined : round.round} data-voided-round={round.status === 'voided' ? round.round : undefined}>
              <th scope="row"><a href={`#/rounds/${round.round}`}>{round.round}</a></th>
              <td><RoundStatusBadge round={round} now={now} /></td>
              <td><Hash value={round.modelHash} /></td>
              <td>{round.round > 1 ? <a href={`#/rounds/${round.round - 1}`} aria-label={`parent: round ${round.round - 1}`}><Hash value={round.parentHash} /></a> : <span title={round.parentHash}>genesis</span>}</td>
              <td class="num">{round.contributors}</td>
              <td class="num">{count(round.samples)}</td>
              <td class="num">{fixed(round.loss)}</td>
              <td class="num">{percent(round.accuracy)}</td>
              <td class="num"><Tokens wei={round.reward} /></td>
              <td class="num">{round.block}</td>
              <td>{time(round.committedMs)}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}

export function RoundView(props: { round: number; version: number }) {
  const data = useData<RoundDetail>(`rounds/${props.round}`, props.version);
  return (
    <Show data={data}>
      {(detail) => (
        <section aria-labelledby="round-heading">
          <h2 id="round-heading">Round {detail.round}</h2>
          <nav class="pager" aria-label="rounds">
            {detail.round > 1 && <a href={`#/rounds/${detail.round - 1}`}>← round {detail.round - 1}</a>}
            <a href="#/">all rounds</a>
            <a href={`#/rounds/${detail.round + 1}`}>round {detail.round + 1} →</a>
          </nav>
          {detail.summary === null ? <p>Not committed on chain{detail.voided.length > 0 ? ' again since its commit was voided' : ' yet'}.</p> : <RoundFacts summary={detail.summary} />}
          <RoundCoordinator detail={detail} />
          {detail.voided.length > 0 && <Voided detail={detail} />}
        </section>
      )}
    </Show>
  );
}

function RoundFacts(props: { summary: RoundSummary }) {
  const { summary } = props;
  const now = useNow();
  return (
    <dl class="facts">
      <div><dt>Status</dt><dd data-testid="round-status"><RoundStatusBadge round={summary} now={now} /></dd></div>
      <div><dt>Model</dt><dd><Hash value={summary.modelHash} testid="round-model-hash" /></dd></div>
      <div><dt>Parent</dt><dd>{summary.round > 1 ? <a href={`#/rounds/${summary.round - 1}`}><Hash value={summary.parentHash} /></a> : <Hash value={summary.parentHash} />}</dd></div>
      <div><dt>Contributors</dt><dd>{summary.contributors}</dd></div>
      <div><dt>Samples</dt><dd>{count(summary.samples)}</dd></div>
      <div><dt>Validation</dt><dd>loss {fixed(summary.loss)}, accuracy {percent(summary.accuracy)}</dd></div>
      <div><dt>Reward</dt><dd><Tokens wei={summary.reward} /></dd></div>
      <div><dt>Committed</dt><dd>block {summary.block}, {time(summary.committedMs)}, tx <Hash value={summary.txHash} /></dd></div>
    </dl>
  );
}

function RoundCoordinator(props: { detail: RoundDetail }) {
  const { coordinator } = props.detail;
  if (coordinator === null) return <p>Start the explorer with <code>--coordinator-url</code> to see this round's updates, statistics and audit verdicts.</p>;
  if ('error' in coordinator) return <p class="error" role="alert">The coordinator did not answer: {coordinator.error}</p>;
  return (
    <>
      <h3>Updates</h3>
      <Table caption={`${coordinator.updates.length} of ${coordinator.totalUpdates} updates in arrival order; ${coordinator.refusals.messages} gossip messages refused`}>
        <thead>
          <tr>
            <th scope="col">Node</th><th scope="col">Digest</th><th scope="col">Samples</th><th scope="col">Norm</th><th scope="col">Cosine</th>
            <th scope="col">Score</th><th scope="col">Reward</th><th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {coordinator.updates.map((update, index) => (
            <tr key={update.digest ?? index}>
              <th scope="row">{update.owner === null ? <Hash value={update.nodeKey} /> : <a href={`#/owners/${update.owner}`}><Hash value={update.nodeKey} /></a>}</th>
              <td><Hash value={update.digest} /></td>
              <td class="num">{count(update.samples)}</td>
              <td class="num">{update.norm === null ? '—' : update.norm.toFixed(3)}</td>
              <td class="num">{update.cosine === null ? '—' : update.cosine.toFixed(3)}</td>
              <td class="num">{update.score === null ? '—' : update.score.toLocaleString('en')}</td>
              <td class="num"><Tokens wei={update.reward} /></td>
              <td>{outcome(update)}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      <h3>Aggregation</h3>
      {Object.keys(coordinator.stats).length === 0 ? <p>Not aggregated yet ({coordinator.state}).</p> : (
        <dl class="facts">
          {Object.entries(coordinator.stats).map(([name, value]) => <div key={name}><dt>{name}</dt><dd>{typeof value === 'number' ? Number(value.toPrecision(6)).toString() : String(value)}</dd></div>)}
        </dl>
      )}
      <h3>Audit verdicts</h3>
      {coordinator.verdicts === null || coordinator.verdicts.length === 0 ? <p>No audit verdicts reported for this round.</p> : (
        <Table caption={`${plural(coordinator.verdicts.length, 'verdict')} the auditing peers signed and gossiped: ${coordinator.verdicts.filter((verdict) => verdict.verdict === 'match').length} match`}>
          <thead><tr><th scope="col">Node key</th><th scope="col">Verdict</th><th scope="col">Model</th><th scope="col">Rewards root</th><th scope="col">Received</th></tr></thead>
          <tbody>
            {coordinator.verdicts.map((verdict) => (
              <tr key={verdict.nodeKey} data-testid="verdict" data-verdict={verdict.verdict} data-model={verdict.modelHash ?? ''}>
                <th scope="row"><Hash value={verdict.nodeKey} /></th>
                <td><StatusBadge status={verdict.verdict} /></td>
                <td><Hash value={verdict.modelHash} /></td>
                <td><Hash value={verdict.rewardsRoot} /></td>
                <td>{verdict.receivedMs === null ? '' : time(verdict.receivedMs)}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}

/** The commits of this round id a challenge voided, and the challenges on chain that voided them. */
function Voided(props: { detail: RoundDetail }) {
  const { voided, challenges } = props.detail;
  return (
    <>
      <h3>Voided commits</h3>
      <Table caption={`${plural(voided.length, 'commit')} of round ${props.detail.round} voided by a challenge`}>
        <thead><tr><th scope="col">Model</th><th scope="col">Parent</th><th scope="col">Loss</th><th scope="col">Accuracy</th><th scope="col">Block</th><th scope="col">Committed</th></tr></thead>
        <tbody>
          {voided.map((round) => (
            <tr key={round.block} data-voided-round={round.round}>
              <th scope="row"><Hash value={round.modelHash} /></th><td><Hash value={round.parentHash} /></td><td class="num">{fixed(round.loss)}</td>
              <td class="num">{percent(round.accuracy)}</td><td class="num">{round.block}</td><td>{time(round.committedMs)}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      <Table caption="challenges on chain (RoundChallenges) that voided them">
        <thead><tr><th scope="col">Rounds</th><th scope="col">Challenger</th><th scope="col">Verdicts</th><th scope="col">Stake against</th><th scope="col">Bond slashed</th><th scope="col">Block</th><th scope="col">Transaction</th></tr></thead>
        <tbody>
          {challenges.map((challenge) => (
            <tr key={challenge.txHash}>
              <th scope="row">{challenge.round === challenge.throughRound ? challenge.round : `${challenge.round}–${challenge.throughRound}`}</th>
              <td><Hash value={challenge.challenger} /></td>
              <td class="num">{challenge.verdicts}</td>
              <td class="num"><Tokens wei={challenge.stakeAgainst} /> of <Tokens wei={challenge.totalActiveStake} /></td>
              <td class="num"><Tokens wei={challenge.bondSlashed} /></td>
              <td class="num">{challenge.block}</td>
              <td><Hash value={challenge.txHash} /></td>
            </tr>
          ))}
        </tbody>
      </Table>
    </>
  );
}

/** Selected or set aside, and why, in words. */
function outcome(update: RoundUpdate): string {
  if (update.verdict !== 'accepted') return `refused: ${update.reason ?? 'no reason given'}`;
  if (update.selected === null) return 'accepted (not aggregated yet)';
  const parts = [update.selected ? 'selected' : 'set aside by the aggregation rule'];
  if (update.clipScale !== null && update.clipScale < 1) parts.push(`clipped ×${update.clipScale.toFixed(2)}`);
  if (update.scoreVerdict !== null) parts.push(update.copyOf ? `${update.scoreVerdict} of ${short(update.copyOf)}` : update.scoreVerdict);
  return parts.join(', ');
}

const NODE_COLUMNS = ['Owner', 'Node key', 'Stake', 'State', 'Liveness', 'Last heard', 'Missed rounds', 'Rounds contributed', 'Earned', 'Claimed'];

function NodeCells(props: { node: NodeRow; now: number; ownerLink: boolean }) {
  const { node, now } = props;
  return (
    <>
      <th scope="row">{props.ownerLink ? <a href={`#/owners/${node.owner}`}><Hash value={node.owner} /></a> : <Hash value={node.owner} />}</th>
      <td><Hash value={node.nodeKey} /></td>
      <td class="num"><Tokens wei={node.stake} /></td>
      <td><StatusBadge status={node.state} /></td>
      <td>{node.liveness ?? '—'}</td>
      <td>{node.liveness === null ? '—' : ago(node.lastSeenMs, now)}</td>
      <td class="num">{count(node.missedRounds)}</td>
      <td class="num">{count(node.roundsContributed)}</td>
      <td class="num"><Tokens wei={node.earned} /></td>
      <td class="num"><Tokens wei={node.claimed} /></td>
    </>
  );
}

export function NodesView(props: { version: number }) {
  const data = useData<NodesPage>('nodes', props.version);
  const now = useNow();
  return (
    <section aria-labelledby="nodes-heading">
      <h2 id="nodes-heading">Nodes</h2>
      <Show data={data}>
        {(page) => (
          <Table caption={`${page.nodes.length} registered nodes`}>
            <thead><tr>{NODE_COLUMNS.map((column) => <th key={column} scope="col">{column}</th>)}</tr></thead>
            <tbody>{page.nodes.map((node) => <tr key={node.owner}><NodeCells node={node} now={now} ownerLink /></tr>)}</tbody>
          </Table>
        )}
      </Show>
    </section>
  );
}

export function OwnerView(props: { owner: string; version: number }) {
  const data = useData<OwnerPage>(`owners/${props.owner}`, props.version);
  const now = useNow();
  return (
    <section aria-labelledby="owner-heading">
      <h2 id="owner-heading">Owner <code class="wrap">{props.owner}</code></h2>
      <Show data={data}>
        {(page) => (
          <>
            {page.node === null ? <p>This address has no registered node.</p> : (
              <Table caption="its node">
                <thead><tr>{NODE_COLUMNS.map((column) => <th key={column} scope="col">{column}</th>)}</tr></thead>
                <tbody><tr><NodeCells node={page.node} now={now} ownerLink={false} /></tr></tbody>
              </Table>
            )}
            <h3>Claimable now</h3>
            {page.statement === null ? <p>Nothing earned yet (or no coordinator given).</p> : 'error' in page.statement ? <p class="error" role="alert">{page.statement.error}</p> : (
              <dl class="facts">
                <div><dt>Claimable</dt><dd><Tokens wei={page.statement.claimable} testid="claimable" /></dd></div>
                <div><dt>Earned</dt><dd><Tokens wei={page.statement.cumulativeReward} /> over {page.statement.cumulativeRounds} rounds, as of round {page.statement.asOfRound} (proof verified against the chain)</dd></div>
                <div><dt>Claimed</dt><dd><Tokens wei={page.statement.claimed} /></dd></div>
              </dl>
            )}
            <p>Claim with:</p>
            <pre class="command" tabIndex={0} aria-label="claim command"><code data-testid="claim-command">{page.claimCommand}</code></pre>
            <h3>Earnings per round</h3>
            {page.earnings.length === 0 ? <p>No rewards in any committed round yet.</p> : (
              <Table caption={`rewards in ${page.earnings.length} rounds, newest first`}>
                <thead><tr><th scope="col">Round</th><th scope="col">Reward</th><th scope="col">Samples</th></tr></thead>
                <tbody>
                  {page.earnings.map((earning) => (
                    <tr key={earning.round}><th scope="row"><a href={`#/rounds/${earning.round}`}>{earning.round}</a></th><td class="num"><Tokens wei={earning.reward} testid="earning" /></td><td class="num">{count(earning.samples)}</td></tr>
                  ))}
                </tbody>
              </Table>
            )}
          </>
        )}
      </Show>
    </section>
  );
}
