// Judges one image digest: looks for signatures in all three places they live (the legacy
// `sha256-<hex>.sig` tag, the OCI referrers API, its tag fallback), verifies each, and decides the
// posture. Multi-arch: a platform digest pulled through an index also counts the index's
// signatures; an index without a verified signature of its own is as signed as its least-signed
// platform, unless its own signatures say something louder (Invalid) or could not be read (Checking).
import type { Posture } from '../api/postures.ts';
import type { Observation } from '../core/observation.ts';
import { decidePosture } from '../core/posture.ts';
import type { FoundSignature, UnreadPlace } from '../core/posture.ts';
import { indexMediaTypes, mediaTypes } from '../registry/media-types.ts';
import { legacySignatureTag } from '../registry/names.ts';
import { RegistryError, checkingReasonOf } from '../registry/registry-error.ts';
import { ReferrersTagError } from '../registry/registry-client.ts';
import type { RegistryClient } from '../registry/registry-client.ts';
import type { RepositoryRef } from '../registry/endpoint.ts';
import type { Descriptor } from '../registry/schemas.ts';
import { parseDigest } from '../sigstore/artifact-digest.ts';
import { SUPPORTED_BUNDLE_MEDIA_TYPES, verifyBundleText } from '../sigstore/bundle-verifier.ts';
import { verifyLegacySignature } from '../sigstore/legacy-cosign.ts';
import type { TrustedKey } from '../sigstore/public-key.ts';
import type { TrustRoot } from '../sigstore/trusted-root.ts';
import { quoteUntrusted } from '../sigstore/untrusted-text.ts';
import { invalid } from '../sigstore/verification-result.ts';
import { knownPayload } from './known-payload.ts';

/** cosign v3 stores its bundles as referrers of this artifact type. */
export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** More signatures than this in one place are not read (and say so): bounded work per digest. */
export const MAX_SIGNATURES_PER_PLACE = 16;
/** More platforms than this in one index are not judged one by one (and the index is then Checking). */
export const MAX_PLATFORMS = 16;

export interface JudgeTarget extends RepositoryRef {
  digest: string;
  /** The index the digest was pulled through, if any. */
  indexDigest?: string;
  /** The digest's media type when already known (saves fetching the manifest). */
  mediaType?: string;
  /**
   * Where the signatures are stored when not beside the image (cosign's COSIGN_REPOSITORY): they
   * are read from there, the manifests from the image's own repository.
   */
  signatureRepository?: RepositoryRef;
}

export interface JudgeContext {
  registry: RegistryClient;
  trust: TrustRoot;
  keys: readonly TrustedKey[];
  signal?: AbortSignal;
}

/** How one platform of an index judged as a whole came out. */
export interface PlatformJudgement {
  digest: string;
  /** `os/architecture[/variant]` as the index lists it (registry text: untrusted). */
  platform?: string;
  posture: Posture;
  signedDigest?: string;
}

export interface Judgement extends Observation {
  /** Said when the image manifest itself could not be fetched and the multi-arch step was skipped. */
  note?: string;
  /** An index judged as a whole: each platform judged (at most MAX_PLATFORMS). */
  platforms?: PlatformJudgement[];
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

export function judgeDigest(ctx: JudgeContext, target: JudgeTarget): Promise<Judgement> {
  return judge(ctx, target, true);
}

/** `expand`: whether an index may be judged through its platforms (one level only: bounded work). */
async function judge(ctx: JudgeContext, target: JudgeTarget, expand: boolean): Promise<Judgement> {
  const evidence: Evidence = { found: [], unread: [] };
  await collect(ctx, target, target.digest, evidence);
  if (target.indexDigest) await collect(ctx, target, target.indexDigest, evidence);
  const own = decidePosture(target.digest, evidence.found, evidence.unread);
  if (isSigned(own) || target.indexDigest || !expand) return own;

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
  if (platforms.length > MAX_PLATFORMS) {
    // Judging only some platforms could call an index signed whose other platforms are not.
    return decidePosture(target.digest, evidence.found, [
      ...evidence.unread,
      {
        location: 'Manifest',
        reason: 'TooLarge',
        detail: `the index lists ${platforms.length} platforms, more than the ${MAX_PLATFORMS} judged one by one`,
      },
    ]);
  }
  for (const platform of platforms) {
    // A platform whose digest we cannot judge could be any posture: then so could the index.
    const parsed = parseDigest(platform.digest);
    if ('error' in parsed)
      return decidePosture(target.digest, evidence.found, [
        ...evidence.unread,
        {
          location: 'Manifest',
          reason: 'RegistryError',
          detail: `the index lists platform ${quoteUntrusted(platform.digest, 100)}: ${parsed.error}`,
        },
      ]);
  }
  const judged = await Promise.all(
    platforms.map((p) =>
      judge(ctx, { ...target, digest: p.digest, indexDigest: undefined, mediaType: p.mediaType }, false),
    ),
  );
  const weakest = judged.reduce((a, b) => (SEVERITY[b.posture] < SEVERITY[a.posture] ? b : a));
  // Every platform signed: the index is. Otherwise the index's own signatures still count when they
  // could not be read (one there may verify: Checking) or say something louder than its weakest platform.
  const ownCounts =
    !isSigned(weakest) &&
    own.posture !== 'Unsigned' &&
    (own.posture === 'Checking' || SEVERITY[own.posture] < SEVERITY[weakest.posture]);
  const deciding = ownCounts ? own : weakest;
  return {
    ...deciding,
    digest: target.digest,
    platforms: judged.map((j, i) => platformJudgement(j, platforms[i]?.platform)),
  };
}

const isSigned = (o: Observation): boolean => o.posture === 'Signed' || o.posture === 'KeySigned';

function platformJudgement(j: Judgement, platform: Descriptor['platform']): PlatformJudgement {
  return {
    digest: j.digest,
    ...(platform
      ? { platform: [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/') }
      : {}),
    posture: j.posture,
    ...(j.signedDigest !== undefined ? { signedDigest: j.signedDigest } : {}),
  };
}

/** The platform manifests of an index (none for an image manifest), attestation manifests excluded. */
async function indexPlatforms(ctx: JudgeContext, target: JudgeTarget): Promise<Descriptor[]> {
  if (target.mediaType !== undefined && !indexMediaTypes.includes(target.mediaType)) return [];
  const manifest = await ctx.registry.getManifest(target, target.digest, { signal: ctx.signal });
  if (manifest.kind !== 'index') return [];
  return manifest.manifest.manifests.filter(
    (m) =>
      m.platform?.os !== 'unknown' && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
}

/** Reads and verifies the signatures attached to `digest`, in every place that can still matter. */
async function collect(
  ctx: JudgeContext,
  target: JudgeTarget,
  digest: string,
  evidence: Evidence,
): Promise<void> {
  const repo = target.signatureRepository ?? target;
  // Bundles (cosign v3's default) first; the legacy tag only when they did not already verify.
  // A verified signature decides the posture whatever else is found, so reading on would cost a
  // registry request per digest for nothing but signers beside one that already vouches.
  await collectBundles(ctx, repo, digest, evidence);
  const verified = evidence.found.some((f) => f.attachedTo === digest && f.verdict.outcome === 'Verified');
  if (!verified) await collectLegacy(ctx, target, repo, digest, evidence);
}

/** `image`: where the image lives, which cosign's payload names; `repo`: where its signatures are. */
async function collectLegacy(
  ctx: JudgeContext,
  image: RepositoryRef,
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
    const layers = signatures.manifest.layers;
    if (layers.length > MAX_SIGNATURES_PER_PLACE) tooMany(evidence, 'LegacySigTag', layers.length);
    for (const layer of layers.slice(0, MAX_SIGNATURES_PER_PLACE)) {
      const verdict = await blobVerdict(async () => {
        const payload =
          knownPayload(layer, image, digest) ??
          (await ctx.registry.getBlob(repo, layer, { signal: ctx.signal }));
        return verifyLegacySignature({
          layer: { mediaType: layer.mediaType, digest: layer.digest, annotations: layer.annotations ?? {} },
          payload,
          imageDigest,
          trust: ctx.trust,
          keys: ctx.keys,
        });
      });
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
  await readPlace(
    evidence,
    () => via,
    async () => {
      // Not filtered by the registry: some registries (go-containerregistry's) report a referrer's
      // config media type as its artifactType, which for a cosign v3 bundle is the empty config. A
      // referrer typed like that is opened to see whether it holds a bundle; trusting the label
      // alone would make such a registry's signatures invisible (a false Unsigned).
      const referrers = await ctx.registry
        .listReferrers(repo, digest, undefined, { signal: ctx.signal })
        .catch((error: unknown) => {
          if (error instanceof ReferrersTagError) via = 'ReferrersTag';
          throw error;
        });
      via = referrers.via;
      const descriptors = referrers.descriptors.filter(
        (d) =>
          d.artifactType === BUNDLE_ARTIFACT_TYPE ||
          d.artifactType === undefined ||
          d.artifactType === mediaTypes.ociEmpty,
      );
      if (descriptors.length > MAX_SIGNATURES_PER_PLACE) tooMany(evidence, via, descriptors.length);
      for (const descriptor of descriptors.slice(0, MAX_SIGNATURES_PER_PLACE)) {
        const claimsBundle = descriptor.artifactType === BUNDLE_ARTIFACT_TYPE;
        const verdict = await blobVerdict(async () => {
          const artifactManifest = await ctx.registry.getManifest(repo, descriptor.digest, {
            signal: ctx.signal,
          });
          const layer =
            artifactManifest.kind === 'manifest'
              ? artifactManifest.manifest.layers.find((l) =>
                  SUPPORTED_BUNDLE_MEDIA_TYPES.includes(l.mediaType),
                )
              : undefined;
          if (!layer)
            return claimsBundle ? invalid('a bundle referrer without a Sigstore bundle layer') : undefined;
          const text = (await ctx.registry.getBlob(repo, layer, { signal: ctx.signal })).toString('utf8');
          return verifyBundleText(text, { artifact: { digest: artifact }, trust: ctx.trust, keys: ctx.keys });
        });
        if (verdict) evidence.found.push({ location: via, attachedTo: digest, verdict });
      }
    },
  );
}

/** Signatures beyond the bound were not read: one of them may be the one that verifies. */
function tooMany(evidence: Evidence, location: UnreadPlace['location'], count: number): void {
  evidence.unread.push({
    location,
    reason: 'TooLarge',
    detail: `${count} signatures, only the first ${MAX_SIGNATURES_PER_PLACE} were read`,
  });
}

/**
 * Runs a read of one place. Not there at all (404): nothing found. Could not read: an unread place
 * (Checking). Content that contradicts its own digest is a signature that genuinely fails.
 */
async function readPlace(
  evidence: Evidence,
  place: UnreadPlace['location'] | (() => UnreadPlace['location']),
  read: () => Promise<void>,
): Promise<void> {
  try {
    await read();
  } catch (error) {
    if (error instanceof RegistryError && error.kind === 'NotFound') return;
    // Known once the read got under way: the referrers API, or the tag read in its place.
    const location = typeof place === 'function' ? place() : place;
    const reason = checkingReasonOf(error);
    if (reason) evidence.unread.push({ location, reason, detail: (error as Error).message });
    // BadResponse, or DigestMismatch of the listing itself (a tag whose Docker-Content-Digest lies:
    // signature contents that lie were made Invalid by blobVerdict): the place could not be read.
    else if (
      error instanceof RegistryError &&
      (error.kind === 'BadResponse' || error.kind === 'DigestMismatch')
    )
      evidence.unread.push({ location, reason: 'RegistryError', detail: error.message });
    else throw error;
  }
}

/**
 * A signature whose content lies about its digest is Invalid, not unreadable. One whose blob is
 * missing cannot be read: Checking, never a silent "nothing there".
 */
async function blobVerdict<V extends FoundSignature['verdict'] | undefined>(
  verify: () => Promise<V>,
): Promise<V | FoundSignature['verdict']> {
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
