// Renders the CRD reference (docs/crd-reference.md) from the same schemas as the CRDs, so the
// documentation of every field, bound and validation rule cannot drift from what the API enforces.
import { customResourceDefinition } from './crd.ts';
import { API_VERSION } from './group.ts';
import type { KindDefinition } from './kind-definition.ts';

interface Node {
  type?: string;
  description?: string;
  properties?: Record<string, Node>;
  items?: Node;
  required?: string[];
  enum?: string[];
  maxLength?: number;
  maxItems?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
  'x-kubernetes-validations'?: { rule: string; message: string }[];
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function constraints(node: Node): string {
  const parts: string[] = [];
  if (node.enum) parts.push(`one of ${node.enum.map((v) => `\`${v}\``).join(', ')}`);
  if (node.maxLength !== undefined) parts.push(`≤ ${node.maxLength} chars`);
  if (node.minItems !== undefined) parts.push(`≥ ${node.minItems} items`);
  if (node.maxItems !== undefined) parts.push(`≤ ${node.maxItems} items`);
  if (node.pattern) parts.push(`matches \`${node.pattern}\``);
  if (node.format === 'date-time') parts.push('RFC 3339 time');
  for (const v of node['x-kubernetes-validations'] ?? []) parts.push(`rule: ${v.message}`);
  return parts.join('; ');
}

function rows(node: Node, path: string, required: boolean, out: string[]): void {
  const type = node.type === 'array' ? `[]${node.items?.type ?? ''}` : (node.type ?? '');
  out.push(
    `| \`${path}\` | ${type}${required ? ' (required)' : ''} | ${cell(node.description ?? '')} | ${cell(constraints(node))} |`,
  );
  const child = node.type === 'array' ? node.items : node;
  const childPath = node.type === 'array' ? `${path}[]` : path;
  if (node.type === 'array' && child?.type === 'object') {
    const own = constraints({ 'x-kubernetes-validations': child['x-kubernetes-validations'] });
    if (own) out.push(`| \`${childPath}\` | object | ${cell(child.description ?? '')} | ${cell(own)} |`);
  }
  for (const [name, sub] of Object.entries(child?.properties ?? {})) {
    rows(sub, `${childPath}.${name}`, child?.required?.includes(name) ?? false, out);
  }
}

export function crdReference(kinds: readonly KindDefinition[]): string {
  const sections = kinds.map((def) => {
    const crd = customResourceDefinition(def) as {
      spec: { versions: [{ schema: { openAPIV3Schema: { properties: { spec: Node; status?: Node } } } }] };
    };
    const { spec, status } = crd.spec.versions[0].schema.openAPIV3Schema.properties;
    const table: string[] = ['| field | type | description | constraints |', '| --- | --- | --- | --- |'];
    rows(spec, 'spec', true, table);
    if (status) rows(status, 'status', false, table);
    const columns = def.printerColumns.map((c) => c.name).join(', ');
    return [
      `## ${def.kind}`,
      '',
      def.description,
      '',
      `\`apiVersion: ${API_VERSION}\`, ${def.scope === 'Namespaced' ? 'namespaced' : 'cluster-scoped'}; \`kubectl get ${def.plural}\` or \`kubectl get ${def.shortNames.join(', ')}\` (columns: ${columns}).`,
      '',
      ...table,
      '',
    ].join('\n');
  });
  return [
    '# CRD reference',
    '',
    '<!-- Generated from src/api by `make crds`; do not edit. -->',
    '',
    'Every string and list is bounded; rules are enforced by the API server (CEL) at admission.',
    '`kubectl explain <kind>.<field>` prints the same descriptions.',
    '',
    ...sections,
  ].join('\n');
}
