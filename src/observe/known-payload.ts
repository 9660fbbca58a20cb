// The payload blob of a legacy signature layer, without downloading it, when it is the payload
// cosign writes for the image without annotations (`cosign sign` without `-a`). A blob is named by
// its digest: bytes of the descriptor's size that hash to its digest are the blob, exactly as a
// download would be once checked against them (getBlob checks no more). Saves a registry request
// per legacy signature; any other payload (annotations, another digest named) is fetched as before.
import { digestOf, isVerifiableDigest } from '../registry/digest.ts';
import type { RepositoryRef } from '../registry/endpoint.ts';
import type { Descriptor } from '../registry/schemas.ts';
import { cosignPayload } from '../sigstore/legacy-cosign.ts';

/** How cosign names an image's repository in the payload (go-containerregistry's Repository.Name()). */
function dockerReferences(image: RepositoryRef): string[] {
  const named = `${image.registry}/${image.repository}`;
  if (image.registry !== 'docker.io' && image.registry !== 'index.docker.io') return [named];
  const path = image.repository.includes('/') ? image.repository : `library/${image.repository}`;
  return [`index.docker.io/${path}`, named];
}

/** The layer's payload if it is cosign's payload for `image`@`digest` without annotations. */
export function knownPayload(
  layer: Pick<Descriptor, 'digest' | 'size'>,
  image: RepositoryRef,
  digest: string,
): Buffer | undefined {
  if (!isVerifiableDigest(layer.digest)) return undefined;
  for (const reference of dockerReferences(image)) {
    const bytes = cosignPayload(reference, digest);
    if (bytes.length === layer.size && digestOf(bytes, layer.digest) === layer.digest) return bytes;
  }
  return undefined;
}
