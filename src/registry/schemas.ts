// zod schemas of every JSON body read from a registry or token endpoint: the trust boundary. Loose
// objects (unknown fields kept) where the specs allow extension; required fields as the specs require.
import { z } from 'zod';
import { isDigest } from './digest.ts';
import { RegistryError } from './registry-error.ts';

const digest = z.string().refine(isDigest, { error: 'not a digest' });
const annotations = z.record(z.string(), z.string());

export const platformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});

export const descriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  urls: z.array(z.string()).optional(),
  annotations: annotations.optional(),
  data: z.string().optional(),
  artifactType: z.string().optional(),
  platform: platformSchema.optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

/** An OCI image manifest or a Docker v2 schema 2 manifest (the same shape). */
export const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

/** An OCI image index or a Docker manifest list; also the body of the referrers API. */
export const imageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
});
export type ImageIndex = z.infer<typeof imageIndexSchema>;

/** Just the field that says which of the two a manifest body is. */
export const mediaTypeFieldSchema = z.looseObject({ mediaType: z.string().optional() });

/** A token endpoint's answer (distribution token spec): `token`, or OAuth2's `access_token`. */
export const tokenResponseSchema = z
  .looseObject({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
    issued_at: z.string().optional(),
  })
  .refine((body) => body.token !== undefined || body.access_token !== undefined, {
    error: 'neither token nor access_token',
  });
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** GET /v2/<name>/tags/list. Some registries answer `"tags": null` for a repository without tags. */
export const tagListSchema = z.looseObject({
  name: z.string(),
  tags: z.array(z.string()).nullable().optional(),
});
export type TagList = z.infer<typeof tagListSchema>;

/** `bytes` as JSON matching `schema`, or RegistryError BadResponse naming `what` (never the content). */
export function parseJsonBody<T>(schema: z.ZodType<T>, bytes: Uint8Array, what: string): T {
  return validate(schema, parseJson(bytes, what), what);
}

/** `bytes` as JSON, or RegistryError BadResponse. */
export function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new RegistryError('BadResponse', `${what}: not valid JSON`);
  }
}

/** `json` if it matches `schema`, else RegistryError BadResponse naming the first offending field. */
export function validate<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join('.').slice(0, 100) || '(root)';
  throw new RegistryError(
    'BadResponse',
    `${what}: unexpected shape at ${JSON.stringify(path)}: ${issue?.message.slice(0, 100) ?? ''}`,
  );
}
