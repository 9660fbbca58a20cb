// Reading a manifest body: which of the four understood media types it is (its `mediaType` field,
// else the Content-Type), and its shape for that type.
import { essence, imageManifestMediaTypes, indexMediaTypes } from './media-types.ts';
import { RegistryError } from './registry-error.ts';
import type { ImageIndex, ImageManifest } from './schemas.ts';
import {
  imageIndexSchema,
  imageManifestSchema,
  mediaTypeFieldSchema,
  parseJson,
  validate,
} from './schemas.ts';

export type ParsedManifest =
  | { mediaType: string; kind: 'manifest'; manifest: ImageManifest }
  | { mediaType: string; kind: 'index'; manifest: ImageIndex };

/** Content types some registries give manifests whose `mediaType` field then decides. */
const GENERIC_TYPES = new Set(['application/json', 'application/octet-stream']);

const quote = (text: string): string => JSON.stringify(text.slice(0, 100));

/** Throws RegistryError BadResponse on malformed JSON, an unknown or contradictory media type, or a wrong shape. */
export function parseManifest(bytes: Uint8Array, contentType: string | null, what: string): ParsedManifest {
  const json = parseJson(bytes, what);
  const declared = validate(mediaTypeFieldSchema, json, what).mediaType;
  const served = essence(contentType);
  const known = (type: string | undefined): type is string =>
    type !== undefined && (imageManifestMediaTypes.includes(type) || indexMediaTypes.includes(type));

  if (served !== undefined && !known(served) && !GENERIC_TYPES.has(served))
    throw new RegistryError('BadResponse', `${what}: unexpected content type ${quote(served)}`);
  let mediaType: string;
  if (declared !== undefined) {
    if (!known(declared))
      throw new RegistryError('BadResponse', `${what}: unsupported media type ${quote(declared)}`);
    if (known(served) && served !== declared)
      throw new RegistryError(
        'BadResponse',
        `${what}: content type ${quote(served)} but mediaType ${quote(declared)}`,
      );
    mediaType = declared;
  } else if (known(served)) {
    mediaType = served;
  } else {
    throw new RegistryError('BadResponse', `${what}: neither a mediaType field nor a manifest content type`);
  }
  return indexMediaTypes.includes(mediaType)
    ? { mediaType, kind: 'index', manifest: validate(imageIndexSchema, json, what) }
    : { mediaType, kind: 'manifest', manifest: validate(imageManifestSchema, json, what) };
}
