import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useLiveVersion, useRoute } from './api.ts';
import { NodesView, OverviewView, OwnerView, RoundView } from './views.tsx';
import './style.css';

const PAGES = [
  { href: '#/', label: 'Network & rounds', match: (route: string[]) => route.length === 0 || route[0] === 'rounds' },
  { href: '#/nodes', label: 'Nodes', match: (route: string[]) => route[0] === 'nodes' || route[0] === 'owners' },
];

function App() {
  const route = useRoute();
  const { version, connected } = useLiveVersion();
  const main = useRef<HTMLElement>(null);
  // A new page takes the focus, so keyboard and screen reader users start at its top.
  const path = route.join('/');
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [path]);

  // The skip link moves the focus itself: following href="#main" would change the hash route.
  const skip = (event: Event): void => {
    event.preventDefault();
    main.current?.focus();
  };

  return (
    <>
      <a class="skip" href="#/" onClick={skip}>Skip to content</a>
      <header class="top">
        <h1><a href="#/">gradnet explorer</a></h1>
        <nav aria-label="pages">
          <ul>
            {PAGES.map((page) => <li key={page.href}><a href={page.href} aria-current={page.match(route) ? 'page' : undefined}>{page.label}</a></li>)}
          </ul>
        </nav>
        {/* Every block bumps the version: shown, but announced only when the connection comes or goes. */}
        <p class={`live ${connected ? 'on' : 'off'}`} data-testid="live" data-version={version}>
          <span aria-hidden="true">{connected ? `live · update ${version}` : 'reconnecting…'}</span>
          <span class="visually-hidden" role="status">{connected ? 'live updates on' : 'live updates lost, reconnecting'}</span>
        </p>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} version={version} />
      </main>
    </>
  );
}

function Page(props: { route: string[]; version: number }) {
  const [head, param] = props.route;
  if (head === 'rounds' && param !== undefined && /^\d+$/.test(param)) return <RoundView round={Number(param)} version={props.version} />;
  if (head === 'nodes') return <NodesView version={props.version} />;
  if (head === 'owners' && param !== undefined) return <OwnerView owner={param} version={props.version} />;
  if (head === undefined || head === 'rounds') return <OverviewView version={props.version} />;
  return <p role="alert">No such page: #{props.route.join('/')}. <a href="#/">Back to the network</a>.</p>;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
