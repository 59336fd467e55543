import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './import-graph.ts';

function isExported(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
}

/**
 * The names a door exports, values and types alike, read from its syntax: its `export { … } from`
 * lists, its own exported declarations, and what an `export * from` module exports in turn.
 * Reading the syntax needs no type check, so the whole surface takes milliseconds.
 */
export function exportNames(door: string): string[] {
  const source = ts.createSourceFile(door, readFileSync(join(ROOT, door), 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause === undefined) names.push(...exportNames(reExported(door, statement)));
      else if (ts.isNamespaceExport(clause)) names.push(clause.name.text);
      else names.push(...clause.elements.map((element) => element.name.text));
    } else if (ts.isExportAssignment(statement)) {
      names.push('default');
    } else if (ts.isVariableStatement(statement) && isExported(statement)) {
      names.push(...statement.declarationList.declarations.map((declaration) => declaration.name.getText(source)));
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement)) &&
      isExported(statement) &&
      statement.name !== undefined
    ) {
      names.push(statement.name.text);
    }
  }
  return [...new Set(names)].sort();
}

/** The repository path of the module an `export * from '…'` names. */
function reExported(door: string, statement: ts.ExportDeclaration): string {
  const specifier = statement.moduleSpecifier;
  if (specifier === undefined || !ts.isStringLiteral(specifier)) throw new Error(`${door}: \`export *\` without a module`);
  return relative(ROOT, join(ROOT, dirname(door), specifier.text)).split('\\').join('/');
}
