// What one custom resource kind is made of: its names, its schemas and its kubectl columns.
// The CRD YAML in crds/ is generated from these (src/api/crd.ts).
import type { z } from 'zod';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDefinition {
  kind: string;
  /** Cluster-scoped unless said otherwise. */
  scope?: 'Cluster' | 'Namespaced';
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: z.ZodType;
  /** What the operator reports, through a status subresource. */
  status: z.ZodType;
  /** CEL rules on the spec as a whole. */
  specRules?: { rule: string; message: string }[];
  printerColumns: PrinterColumn[];
}
