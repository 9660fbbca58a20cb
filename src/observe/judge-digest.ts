// Judges one image digest: looks for signatures in all three places they live (the legacy
// `sha256-<hex>.sig` tag, the OCI referrers API, its tag fallback), verifies each, and decides the
// posture. Multi-arch: a platform digest pulled through an index also counts the index's
// signatures; an index without signatures of its own is as signed as its least-signed platform.
import type { Observation } from '../core/observation.ts';
import { decidePosture } from '../core/posture.ts';
import type { FoundSignature, UnreadPlace } from '../core/posture.ts';
import { indexMediaTypes } from '../registry/media-types.ts';
import { legacySignatureTag } from '../registry/names.ts';
import { RegistryError, checkingReasonOf } from '../registry/registry-error.ts';
import type { RegistryClient } from '../registry/registry-client.ts';
import type { RepositoryRef } from '../registry/endpoint.ts';
import type { Descriptor } from '../registry/schemas.ts';
import { parseDigest } from '../sigstore/artifact-digest.ts';
import { SUPPORTED_BUNDLE_MEDIA_TYPES, verifyBundleText } from '../sigstore/bundle-verifier.ts';
import { verifyLegacySignature } from '../sigstore/legacy-cosign.ts';
import type { TrustedKey } from '../sigstore/public-key.ts';
import type { TrustRoot } from '../sigstore/trusted-root.ts';
import { invalid } from '../sigstore/verification-result.ts';

/** cosign v3 stores its bundles as referrers of this artifact type. */
export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** More signatures than this in one place are not read (and say so): bounded work per digest. */
export const MAX_SIGNATURES_PER_PLACE = 16;
/** More platforms than this in one index are not judged one by one. */
export const MAX_PLATFORMS = 16;

export interface JudgeTarget extends RepositoryRef {
  digest: string;
  /** The index the digest was pulled through, if any. */
  indexDigest?: string;
  /** The digest's media type when already known (saves fetching the manifest). */
  mediaType?: string;
}

export interface JudgeContext {
  registry: RegistryClient;
  trust: TrustRoot;
  keys: readonly TrustedKey[];
  signal?: AbortSignal;
}

export interface Judgement extends Observation {
  /** Said when the image manifest itself could not be fetched and the multi-arch step was skipped. */
  note?: string;
}

interface Evidence {
  found: FoundSignature[];
  unread: UnreadPlace[];
}

const SEVERITY: Record<Observation['posture'], number> = {
  Invalid: 0,
  Checking: 1,
  Unsigned: 2,
  Unverifiable: 3,
  KeySigned: 4,
  Signed: 5,
};

export async function judgeDigest(ctx: JudgeContext, target: JudgeTarget): Promise<Judgement> {
  const evidence: Evidence = { found: [], unread: [] };
  await collect(ctx, target, target.digest, evidence);
  if (target.indexDigest) await collect(ctx, target, target.indexDigest, evidence);
  const own = decidePosture(target.digest, evidence.found, evidence.unread);
  if (own.posture === 'Signed' || own.posture === 'KeySigned' || target.indexDigest) return own;

  let platforms: Descriptor[];
  try {
    platforms = await indexPlatforms(ctx, target);
  } catch (error) {
    if (error instanceof RegistryError && error.kind === 'NotFound') {
      return {
        ...own,
        note: 'the image manifest is not available (only its signatures): multi-arch step skipped',
      };
    }
    const reason = checkingReasonOf(error) ?? 'RegistryError';
    return decidePosture(target.digest, evidence.found, [
      ...evidence.unread,
      { location: 'Manifest', reason, detail: (error as Error).message },
    ]);
  }
  if (platforms.length === 0) return own;
  const judged = await Promise.all(
    platforms.map((p) =>
      judgeDigest(ctx, { ...target, digest: p.digest, indexDigest: undefined, mediaType: p.mediaType }),
    ),
  );
  const weakest = judged.reduce((a, b) => (SEVERITY[b.posture] < SEVERITY[a.posture] ? b : a));
  return { ...weakest, digest: target.digest };
}

/** The platform manifests of an index (none for an image manifest), attestation manifests excluded. */
async function indexPlatforms(ctx: JudgeContext, target: JudgeTarget): Promise<Descriptor[]> {
  if (target.mediaType !== undefined && !indexMediaTypes.includes(target.mediaType)) return [];
  const manifest = await ctx.registry.getManifest(target, target.digest, { signal: ctx.signal });
  if (manifest.kind !== 'index') return [];
  const platforms = manifest.manifest.manifests.filter(
    (m) =>
      m.platform?.os !== 'unknown' && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  return platforms.slice(0, MAX_PLATFORMS);
}

/** Reads and verifies the signatures attached to `digest` in every place. */
async function collect(
  ctx: JudgeContext,
  repo: RepositoryRef,
  digest: string,
  evidence: Evidence,
): Promise<void> {
  await Promise.all([
    collectLegacy(ctx, repo, digest, evidence),
    collectBundles(ctx, repo, digest, evidence),
  ]);
}

async function collectLegacy(
  ctx: JudgeContext,
  repo: RepositoryRef,
  digest: string,
  evidence: Evidence,
): Promise<void> {
  const imageDigest = parseDigest(digest);
  if ('error' in imageDigest) throw new RangeError(imageDigest.error);
  await readPlace(evidence, 'LegacySigTag', async () => {
    const signatures = await ctx.registry.getManifest(repo, legacySignatureTag(digest), {
      signal: ctx.signal,
    });
    if (signatures.kind !== 'manifest') {
      evidence.found.push({
        location: 'LegacySigTag',
        attachedTo: digest,
        verdict: invalid('the .sig tag holds an index, not a signature manifest'),
      });
      return;
    }
    for (const layer of signatures.manifest.layers.slice(0, MAX_SIGNATURES_PER_PLACE)) {
      const verdict = await blobVerdict(() =>
        ctx.registry.getBlob(repo, layer, { signal: ctx.signal }).then((payload) =>
          verifyLegacySignature({
            layer: { mediaType: layer.mediaType, digest: layer.digest, annotations: layer.annotations ?? {} },
            payload,
            imageDigest,
            trust: ctx.trust,
            keys: ctx.keys,
          }),
        ),
      );
      evidence.found.push({ location: 'LegacySigTag', attachedTo: digest, verdict });
    }
  });
}

async function collectBundles(
  ctx: JudgeContext,
  repo: RepositoryRef,
  digest: string,
  evidence: Evidence,
): Promise<void> {
  const artifact = parseDigest(digest);
  if ('error' in artifact) throw new RangeError(artifact.error);
  let via: FoundSignature['location'] = 'ReferrersAPI';
  await readPlace(evidence, 'ReferrersAPI', async () => {
    const referrers = await ctx.registry.listReferrers(repo, digest, BUNDLE_ARTIFACT_TYPE, {
      signal: ctx.signal,
    });
    via = referrers.via;
    for (const descriptor of referrers.descriptors.slice(0, MAX_SIGNATURES_PER_PLACE)) {
      const verdict = await blobVerdict(async () => {
        const artifactManifest = await ctx.registry.getManifest(repo, descriptor.digest, {
          signal: ctx.signal,
        });
        const layer =
          artifactManifest.kind === 'manifest'
            ? artifactManifest.manifest.layers.find((l) => SUPPORTED_BUNDLE_MEDIA_TYPES.includes(l.mediaType))
            : undefined;
        if (!layer) return invalid('a bundle referrer without a Sigstore bundle layer');
        const text = (await ctx.registry.getBlob(repo, layer, { signal: ctx.signal })).toString('utf8');
        return verifyBundleText(text, { artifact: { digest: artifact }, trust: ctx.trust, keys: ctx.keys });
      });
      evidence.found.push({ location: via, attachedTo: digest, verdict });
    }
  });
}

/**
 * Runs a read of one place. Not there at all (404): nothing found. Could not read: an unread place
 * (Checking). Content that contradicts its own digest is a signature that genuinely fails.
 */
async function readPlace(
  evidence: Evidence,
  location: UnreadPlace['location'],
  read: () => Promise<void>,
): Promise<void> {
  try {
    await read();
  } catch (error) {
    if (error instanceof RegistryError && error.kind === 'NotFound') return;
    const reason = checkingReasonOf(error);
    if (reason) evidence.unread.push({ location, reason, detail: (error as Error).message });
    else if (error instanceof RegistryError && error.kind === 'BadResponse')
      evidence.unread.push({ location, reason: 'RegistryError', detail: error.message });
    else throw error;
  }
}

/**
 * A signature whose content lies about its digest is Invalid, not unreadable. One whose blob is
 * missing cannot be read: Checking, never a silent "nothing there".
 */
async function blobVerdict(
  verify: () => Promise<FoundSignature['verdict']>,
): Promise<FoundSignature['verdict']> {
  try {
    return await verify();
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    if (error.kind === 'DigestMismatch')
      return invalid(`signature content does not match its digest: ${error.message}`);
    if (error.kind === 'NotFound')
      throw new RegistryError('RegistryError', `signature content is missing: ${error.message}`);
    throw error;
  }
}
