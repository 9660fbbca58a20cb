// A DSSE envelope is signed over its payload, not over the artifact: whether it speaks about the
// artifact being judged is for us to check, through the subjects of the in-toto statement inside.
import { z } from 'zod';
import type { ArtifactDigest } from './artifact-digest.ts';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

const STATEMENT_TYPES = ['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1'];

const statementSchema = z.object({
  _type: z.string().refine((t) => STATEMENT_TYPES.includes(t), 'is not an in-toto statement type'),
  subject: z
    .array(
      z.object({
        name: z.string().max(4096).optional(),
        digest: z.record(z.string().max(64), z.string().max(1024)),
      }),
    )
    .min(1)
    .max(4096),
  predicateType: z.string().max(1024),
});

export type InTotoStatement = z.infer<typeof statementSchema>;

export function parseStatement(
  payloadType: string,
  payload: Uint8Array,
): InTotoStatement | { error: string } {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return { error: 'DSSE payload is not an in-toto statement' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return { error: 'in-toto statement is not JSON' };
  }
  const parsed = statementSchema.safeParse(json);
  if (!parsed.success) return { error: 'in-toto statement is malformed' };
  return parsed.data;
}

export type Coverage = 'Covered' | 'OtherArtifact' | 'OtherAlgorithms';

/**
 * Whether one subject covers the artifact, known by one or more digests of it (e.g. its sha256 and
 * sha512): at least one of them is listed, and every one the subject lists matches. `OtherArtifact`:
 * subjects use our algorithms but name other digests. `OtherAlgorithms`: no subject lists any of
 * the algorithms we know the artifact by, so the statement can neither be tied to it nor told apart.
 */
export function statementCoverage(statement: InTotoStatement, artifact: readonly ArtifactDigest[]): Coverage {
  let comparable = false;
  for (const subject of statement.subject) {
    let matches = 0;
    let mismatch = false;
    for (const digest of artifact) {
      const listed = subject.digest[digest.algorithm];
      if (listed === undefined) continue;
      comparable = true;
      if (listed.toLowerCase() === digest.hex) matches += 1;
      else mismatch = true;
    }
    if (matches > 0 && !mismatch) return 'Covered';
  }
  return comparable ? 'OtherArtifact' : 'OtherAlgorithms';
}
