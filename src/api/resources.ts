// Typed views of signwarden objects as read from the API server, parsed with the same zod schemas
// that generate the CRDs, so nothing unvalidated reaches the controllers.
import type { KubernetesObject } from '@kubernetes/client-node';
import { z } from 'zod';
import { driftFindingSpecSchema, driftFindingStatusSchema } from './drift-finding.ts';
import { signaturePinSpecSchema, signaturePinStatusSchema } from './signature-pin.ts';
import { signingBaselineSpecSchema, signingBaselineStatusSchema } from './signing-baseline.ts';
import type { KindDefinition } from './kind-definition.ts';
import { API_VERSION, GROUP } from './group.ts';

export const resourcePath = (def: KindDefinition): string => `/apis/${API_VERSION}/${def.plural}`;
export const resourceName = (def: KindDefinition): string => `${def.plural}.${GROUP}`;

const metadataSchema = z.object({
  name: z.string(),
  generation: z.number().int().optional(),
  uid: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const signaturePinSchema = z.object({
  metadata: metadataSchema,
  spec: signaturePinSpecSchema,
  status: signaturePinStatusSchema.optional(),
});
export type SignaturePin = z.infer<typeof signaturePinSchema>;
export type SignaturePinStatus = z.infer<typeof signaturePinStatusSchema>;

export const signingBaselineSchema = z.object({
  metadata: metadataSchema,
  spec: signingBaselineSpecSchema,
  status: signingBaselineStatusSchema.optional(),
});
export type SigningBaseline = z.infer<typeof signingBaselineSchema>;

export const driftFindingSchema = z.object({
  metadata: metadataSchema,
  spec: driftFindingSpecSchema,
  status: driftFindingStatusSchema.optional(),
});
export type DriftFinding = z.infer<typeof driftFindingSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses an object read from the API server; the message names the first offending field. */
export function parseObject<T>(schema: z.ZodType<T>, obj: KubernetesObject): ParseResult<T> {
  const result = schema.safeParse(obj);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
}
