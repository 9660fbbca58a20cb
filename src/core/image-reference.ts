// Image references as pods write them, parsed with the distribution reference grammar
// (github.com/distribution/reference) and folded to the canonical repository key of DESIGN.md §4.
// Every rule is a plain string operation so the admission policy can repeat it in CEL;
// test/vectors/image-references.json holds both implementations to the same answers.

export interface ImageReference {
  /** Canonical registry: lower case, Docker Hub folded to `docker.io`, `:443` dropped. */
  registry: string;
  /** Path within the registry, e.g. `library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** The repository key `registry/repository`: what baselines and pins are keyed by. */
  canonical: string;
}

/** What a container status's `imageID` names. No repository: a bare digest, unusable for lookup. */
export interface ImageId {
  repository?: string;
  digest: string;
}

export interface ParseError {
  error: string;
}

// Checked before any parsing so hostile input costs nothing; the real bound is MAX_NAME_LENGTH.
const MAX_INPUT_LENGTH = 4096;
// distribution/reference's NameTotalLengthMax, applied like upstream to the normalized name.
const MAX_NAME_LENGTH = 255;
const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io']);
// Strict on purpose: only the algorithms registries and signatures use, in their canonical lower-case hex.
const HEX_LENGTHS = new Map([
  ['sha256', 64],
  ['sha512', 128],
]);
// Docker runtimes prefix imageIDs with these; the rest is a reference or a bare digest.
const RUNTIME_PREFIXES = ['docker-pullable://', 'docker://'];

const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
// Upstream refuses a name that is exactly an image ID, so `docker run <id>` cannot mean a repository.
const IMAGE_ID_SHAPED = /^[a-f0-9]{64}$/;

/** Parses `text` as `[host[:port]/]path[:tag][@digest]`, or says precisely why it is not one. */
export function parseImageReference(text: string): ImageReference | ParseError {
  const parsed = parse(text);
  return typeof parsed === 'string' ? { error: `invalid reference ${quote(text)}: ${parsed}` } : parsed;
}

/** The canonical repository key of `text`, e.g. `nginx:1.27` → `docker.io/library/nginx`. */
export function canonicalRepository(text: string): string | ParseError {
  const parsed = parseImageReference(text);
  return 'error' in parsed ? parsed : parsed.canonical;
}

/**
 * Parses `status.containerStatuses[].imageID`: `repo@digest`, optionally behind a Docker runtime
 * prefix, or a bare digest (containerd may report the image config digest, which names no
 * repository and so cannot be looked up).
 */
export function parseImageId(text: string): ImageId | ParseError {
  const prefix = RUNTIME_PREFIXES.find((candidate) => text.startsWith(candidate));
  const body = prefix === undefined ? text : text.slice(prefix.length);
  if (checkCharacters(body) === undefined && checkDigest(body) === undefined) return { digest: body };
  const fail = (reason: string): ParseError => ({ error: `invalid image ID ${quote(text)}: ${reason}` });
  const parsed = parse(body);
  if (typeof parsed === 'string') return fail(parsed);
  if (parsed.digest === undefined) return fail('it is neither a digest nor a reference with a digest');
  return { repository: parsed.canonical, digest: parsed.digest };
}

/** The reference, or the reason it is invalid. */
function parse(text: string): ImageReference | string {
  const unusable = checkCharacters(text);
  if (unusable !== undefined) return unusable;
  if (IMAGE_ID_SHAPED.test(text)) return 'a 64-character hex string is an image ID, not a repository name';

  const at = text.indexOf('@');
  const digest = at === -1 ? undefined : text.slice(at + 1);
  const nameAndTag = at === -1 ? text : text.slice(0, at);
  // A colon after the last slash starts the tag; one before it belongs to a host:port.
  const colon = nameAndTag.lastIndexOf(':');
  const tagged = colon > nameAndTag.lastIndexOf('/');
  const name = tagged ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = tagged ? nameAndTag.slice(colon + 1) : undefined;

  if (name === '') return 'it has no repository name';
  if (tag !== undefined && !TAG.test(tag))
    return `tag ${quote(tag)} is invalid: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`;
  const digestProblem = digest === undefined ? undefined : checkDigest(digest);
  if (digestProblem !== undefined) return digestProblem;

  const located = locate(name);
  if (typeof located === 'string') return located;
  const canonical = `${located.registry}/${located.repository}`;
  if (canonical.length > MAX_NAME_LENGTH)
    return `repository name ${quote(canonical)} is longer than ${MAX_NAME_LENGTH} characters`;
  return {
    ...located,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    canonical,
  };
}

/** Splits a name into canonical registry and repository path. */
function locate(name: string): { registry: string; repository: string } | string {
  const slash = name.indexOf('/');
  const first = name.slice(0, slash);
  // Upstream also takes an upper-case first component for a host. We do not: its lower-cased key
  // (`myregistry/app`) would read back as a Docker Hub namespace, so it is rejected as upper case.
  const hasHost = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasHost)
    return checkPath(name) ?? { registry: DOCKER_HUB, repository: libraryFolded(DOCKER_HUB, name) };

  if (!HOST.test(first)) return `registry host ${quote(first)} is invalid`;
  const path = name.slice(slash + 1);
  const pathProblem = checkPath(path);
  if (pathProblem !== undefined) return pathProblem;
  // Only :443 is dropped: runtimes reach a bare host over HTTPS on 443 anyway. :80 is kept: `host:80`
  // is a plain-HTTP endpoint configured apart from `host`, so it need not serve the same content.
  let registry = first.toLowerCase();
  if (registry.endsWith(':443')) registry = registry.slice(0, -':443'.length);
  if (DOCKER_HUB_ALIASES.has(registry)) registry = DOCKER_HUB;
  return { registry, repository: libraryFolded(registry, path) };
}

/** Docker Hub's official images live under `library/`, whichever host alias named them. */
function libraryFolded(registry: string, path: string): string {
  return registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path;
}

function checkPath(path: string): string | undefined {
  for (const component of path.split('/')) {
    if (component === '') return 'repository path has an empty component (leading, trailing or double slash)';
    if (component !== component.toLowerCase()) return 'repository path must be lower case';
    if (!PATH_COMPONENT.test(component))
      return `repository path component ${quote(component)} is invalid: lower-case letters and digits joined by '.', '_', '__' or dashes`;
  }
  return undefined;
}

function checkDigest(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon === -1) return `digest ${quote(digest)} is not algorithm:hex`;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = HEX_LENGTHS.get(algorithm);
  if (length === undefined) return `digest algorithm ${quote(algorithm)} is not supported (sha256 or sha512)`;
  const needs = `digest ${algorithm} needs ${length} hex characters`;
  if (!/^[0-9a-f]*$/.test(hex)) return /^[0-9a-fA-F]+$/.test(hex) ? `${needs}, in lower case` : needs;
  return hex.length === length ? undefined : needs;
}

function checkCharacters(text: string): string | undefined {
  if (text === '') return 'it is empty';
  if (text.length > MAX_INPUT_LENGTH) return `it is longer than ${MAX_INPUT_LENGTH} characters`;
  const bad = /[^\x21-\x7e]/.exec(text)?.[0];
  if (bad === undefined) return undefined;
  return bad.charCodeAt(0) > 0x7f
    ? 'it contains a non-ASCII character'
    : 'it contains whitespace or a control character';
}

/** Quotes untrusted text for an error message: bounded, printable ASCII only. */
function quote(text: string): string {
  const shown = text.length > 100 ? `${text.slice(0, 100)}...` : text;
  return JSON.stringify(shown).replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
