import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The project's TypeScript sources (tests import internals on purpose and are left out). */
export const SOURCE_FOLDERS = ['core', 'node', 'coordinator', 'cli', 'bench', 'explorer', 'ignition', 'scripts'];

/** Folders whose index.ts is the only door for code outside them; every folder of core/ is one. */
const DOOR_FOLDERS = ['node', 'coordinator', 'cli', 'bench', 'explorer'];

/** Every door: core/<x>/index.ts for each folder of core/, and node/, coordinator/, cli/, bench/ and explorer/'s index.ts. */
export function doorFiles(): string[] {
  const core = readdirSync(join(ROOT, 'core')).filter((name) => statSync(join(ROOT, 'core', name)).isDirectory());
  return [...core.map((name) => `core/${name}/index.ts`), ...DOOR_FOLDERS.map((folder) => `${folder}/index.ts`)].filter((door) => existsSync(join(ROOT, door))).sort();
}

/** Repository-relative path (with /) of every file → the project files it imports. */
export type ImportGraph = Map<string, string[]>;

export interface Import {
  from: string;
  to: string;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function listTypeScript(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return listTypeScript(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The file a relative specifier names: as written (imports carry `.ts`), or with `.ts` / `/index.ts` added. */
function resolveSpecifier(importer: string, specifier: string): string | null {
  const base = resolve(dirname(importer), specifier);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile()) ?? null;
}

/**
 * Every relative import of the sources, type-only and dynamic `import()` ones included: a type
 * import still ties the two modules' designs together, and a lazy import is still a dependency.
 */
export function importGraph(): ImportGraph {
  const graph: ImportGraph = new Map();
  const files = SOURCE_FOLDERS.flatMap((folder) => listTypeScript(join(ROOT, folder)));
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolveSpecifier(file, specifier))
      .filter((target): target is string => target !== null)
      .map((target) => toPosix(relative(ROOT, target)));
    graph.set(toPosix(relative(ROOT, file)), [...new Set(targets)].sort());
  }
  return graph;
}

/**
 * The folder whose door `file` sits behind: `core/<x>` for anything in a core folder, the
 * top-level folder for node/, coordinator/, cli/, bench/ and explorer/, or null when the file is its own
 * door (core/errors.ts) or its folder has none (ignition/, scripts/).
 */
export function doorFolderOf(file: string): string | null {
  const parts = file.split('/');
  if (parts[0] === 'core') return parts.length > 2 ? `core/${parts[1]}` : null;
  return DOOR_FOLDERS.includes(parts[0]) ? parts[0] : null;
}

/** Imports that reach into a door folder from outside it through a file other than its index.ts. */
export function doorViolations(graph: ImportGraph): Import[] {
  const violations: Import[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const folder = doorFolderOf(to);
      if (folder === null || from.startsWith(`${folder}/`) || to === `${folder}/index.ts`) continue;
      violations.push({ from, to });
    }
  }
  return violations;
}

/** The unit folders are judged by: its door folder, else its top-level folder (ignition, scripts), else the file. */
export function unitOf(file: string): string {
  return doorFolderOf(file) ?? (file.includes('/') && file.split('/')[0] !== 'core' ? file.split('/')[0] : file);
}

/** The graph of units: an edge wherever a file of one imports a file of another. */
export function unitGraph(graph: ImportGraph): ImportGraph {
  const units: ImportGraph = new Map();
  for (const [from, targets] of graph) {
    const edges = new Set(units.get(unitOf(from)) ?? []);
    for (const to of targets) if (unitOf(to) !== unitOf(from)) edges.add(unitOf(to));
    units.set(unitOf(from), [...edges].sort());
  }
  return units;
}

/**
 * One cycle per strongly connected component of the graph (Tarjan), each as the shortest path
 * from the component's first node back to itself, e.g. [a, b, a]: every component with a cycle
 * shows up, and breaking the shown cycle is where to start.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;

  const visit = (node: string): void => {
    index.set(node, counter);
    lowLink.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
      }
    }
    if (lowLink.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = component.length === 1 && (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return components.map((component) => shortestCycle(graph, component[0], new Set(component)));
}

function shortestCycle(graph: ImportGraph, start: string, within: ReadonlySet<string>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!within.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}
