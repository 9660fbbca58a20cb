// The manifest media types the client asks for and understands: OCI and Docker, image and index.
export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** The config of an artifact that needs none: the blob `{}`. */
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

export const imageManifestMediaTypes: readonly string[] = [mediaTypes.ociManifest, mediaTypes.dockerManifest];
export const indexMediaTypes: readonly string[] = [mediaTypes.ociIndex, mediaTypes.dockerManifestList];

/** The Accept header of a manifest request: every type above, OCI first. */
export const manifestAccept = [
  mediaTypes.ociManifest,
  mediaTypes.ociIndex,
  mediaTypes.dockerManifest,
  mediaTypes.dockerManifestList,
].join(', ');

/** `application/vnd.oci.image.index.v1+json; charset=utf-8` → `application/vnd.oci.image.index.v1+json`. */
export function essence(contentType: string | null): string | undefined {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return type || undefined;
}
