// Where each generated CRD is written, and its YAML text.
import { stringify } from 'yaml';
import { GROUP } from './group.ts';
import { customResourceDefinition } from './crd.ts';
import type { KindDefinition } from './kind-definition.ts';

export const crdFileName = (def: KindDefinition): string => `${GROUP}_${def.plural}.yaml`;

export const crdYaml = (def: KindDefinition): string =>
  `# Generated from src/api by \`make crds\`; do not edit.\n${stringify(customResourceDefinition(def), { lineWidth: 0 })}`;
