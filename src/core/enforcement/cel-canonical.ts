// The canonicalizer of src/core/image-reference.ts, step by step in CEL, so the admission policy
// folds every spelling of a repository to the key the operator publishes verdicts under
// (DESIGN.md §4, §5). test/e2e/enforcement-cel.e2e.test.ts holds it to the TypeScript answers on
// every vector of test/vectors/image-references.json, evaluated by a real API server.
//
// `celImageReference(s)` is one CEL expression over the CEL string expression `s`: a
// map(string, string) with
//   image  — the input, as given
//   valid  — 'true' when the TypeScript parser accepts it, '' when it rejects it
//   key    — the canonical repository key ('' when invalid)
//   digest — the digest, '' when none (or invalid)
//   tag    — the tag as written, '' when none (or invalid); '' means `latest` to a runtime
// Every value is a string so the map literal has one value type. Invalid input never fails the
// expression: every substring is guarded, so a hostile spelling yields `valid: ''`, never an error.

// The patterns of image-reference.ts, in RE2 syntax (the same text: both dialects read it alike).
// Characters: printable ASCII, no space.
const PRINTABLE = String.raw`^[\x21-\x7e]+$`;
const IMAGE_ID_SHAPED = '^[a-f0-9]{64}$';
// A tag: a word character, then up to 127 of word characters, '.' and '-'.
const MAX_TAG_LENGTH = 128;
const TAG_CHARACTERS = String.raw`\w[\w.-]`;
const TAG = `^${TAG_CHARACTERS}{0,${MAX_TAG_LENGTH - 1}}$`;
const DIGEST = '^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$';
const HOST = String.raw`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$`;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATH = `^${COMPONENT}(?:/${COMPONENT})*$`;

/** Docker Hub's other host names, which image-reference.ts folds into `docker.io`. */
const DOCKER_HUB_ALIASES = ['index.docker.io', 'registry-1.docker.io'];

/** The bounds of image-reference.ts. */
export const MAX_INPUT_LENGTH = 4096;
export const MAX_NAME_LENGTH = 255;

/** A CEL string literal: raw (no escapes interpreted), single-quoted; the patterns hold no quote. */
function raw(pattern: string): string {
  if (pattern.includes("'")) throw new Error(`pattern ${pattern} holds a quote`);
  return `r'${pattern}'`;
}

/**
 * Binds `name` to `value` in `body`: CEL's `let`. The API server's CEL has no `cel.bind`, so this is
 * a comprehension over a one-element list, evaluating `value` once. Names are prefixed `ir_` so that
 * they cannot shadow anything of the enclosing expression.
 */
export const bind = (name: string, value: string, body: string): string =>
  `[${value}].map(${name}, ${body})[0]`;

/**
 * Whether the name of the CEL string expression `i` (the text before its first '@') may end in a
 * tag, with a digest after it: a cheap pattern (no bounded repetition) that holds whenever
 * celColonTag of that name finds one, checked without splitting.
 */
export const celMayBeTaggedWithDigest = (i: string): string =>
  `${i}.matches(${raw(`^[^@]*:${TAG_CHARACTERS}*@`)})`;

/** Whether the CEL string expression `s` is a valid tag, as image-reference.ts says. */
const celValidTag = (s: string): string => `${s}.matches(${raw(TAG)})`;

/**
 * The tag of the CEL string expression `s` (a reference without its digest) with its colon, as
 * image-reference.ts splits it: the text after the last colon when it has the characters of a tag
 * and no '/' follows, else ''. Its length is not checked here (celColonTagValid): a pattern without
 * bounded repetition, and no copying of the text into code points as indexOf would.
 */
export const celColonTag = (s: string): string => `${s}.find(${raw(`:${TAG_CHARACTERS}*$`)})`;

/** Whether `t`, what celColonTag found, is a tag that image-reference.ts takes as valid. */
export const celColonTagValid = (t: string): string => `(${t} != "" && size(${t}) <= ${MAX_TAG_LENGTH + 1})`;

// A canonical repository key: a host as HOST takes it but in lower case, then a path.
const CANONICAL_KEY = `(?:${HOST.slice(1, -1).replaceAll('a-zA-Z', 'a-z').replaceAll('a-fA-F', 'a-f')})/${COMPONENT}(?:/${COMPONENT})*`;
// A reference in canonical form: the key, a valid tag or none, a valid digest or none.
const CANONICAL_REFERENCE = `^${CANONICAL_KEY}(?::${TAG.slice(1, -1)})?(?:@${DIGEST.slice(1, -1)})?$`;

/**
 * Whether the CEL string expression `i` (an image reference: evaluated several times) is in
 * canonical form, i.e. image-reference.ts folds its name to the name itself and keeps its tag and
 * digest as written: the name is a canonical repository key whose first component names a host
 * ('.' or ':' in it, or exactly `localhost`) in lower case, without `:443`, not a Docker Hub alias,
 * and `docker.io` is followed by a namespace (a single component would fold under `library/`); the
 * tag and digest are valid. Patterns over the whole text, no splitting: the first component ends
 * at the first '/', which the pattern requires. Within the length bound of any name, so that the
 * name needs no measuring.
 */
export const celCanonicalReference = (i: string): string =>
  [
    `size(${i}) <= ${MAX_NAME_LENGTH}`,
    `${i}.matches(${raw(CANONICAL_REFERENCE)})`,
    `(${i}.startsWith("localhost/") || ${i}.matches(${raw('^[^/]*[.:]')}))`,
    `!${i}.matches(${raw('^[^/]*:443/')})`,
    ...DOCKER_HUB_ALIASES.map((alias) => `!${i}.startsWith("${alias}/")`),
    `(!${i}.startsWith("docker.io/") || ${i}.matches(${raw('^docker[.]io/[^/]*/')}))`,
  ].join(' && ');

/**
 * The repository key of the CEL string expression `i`, a reference in canonical form
 * (celCanonicalReference): the longest leading key, which a tag's ':' or the digest's '@' ends.
 */
export const celCanonicalKeyOf = (i: string): string => `${i}.find(${raw(`^${CANONICAL_KEY}`)})`;

/** The parse of image-reference.ts, as nested bindings; see the step comments there. */
export function celImageReference(s: string): string {
  // Bind the input first: `s` may be any expression, evaluated once.
  const steps: [string, string][] = [
    ['ir_s', `string(${s})`],
    // '@' starts the digest; a colon after the last slash starts the tag.
    ['ir_at', 'ir_s.indexOf("@")'],
    ['ir_nt', 'ir_at < 0 ? ir_s : ir_s.substring(0, ir_at)'],
    ['ir_dg', 'ir_at < 0 ? "" : ir_s.substring(ir_at + 1)'],
    ['ir_colon', 'ir_nt.lastIndexOf(":")'],
    ['ir_tagged', 'ir_colon > ir_nt.lastIndexOf("/")'],
    ['ir_name', 'ir_tagged ? ir_nt.substring(0, ir_colon) : ir_nt'],
    ['ir_tag', 'ir_tagged ? ir_nt.substring(ir_colon + 1) : ""'],
    // The first component names a host only when it has '.' or ':' or is exactly `localhost`.
    ['ir_slash', 'ir_name.indexOf("/")'],
    ['ir_first', 'ir_slash < 0 ? "" : ir_name.substring(0, ir_slash)'],
    [
      'ir_hosted',
      'ir_slash >= 0 && (ir_first.contains(".") || ir_first.contains(":") || ir_first == "localhost")',
    ],
    ['ir_path', 'ir_hosted ? ir_name.substring(ir_slash + 1) : ir_name'],
    // Host lower-cased, only the literal :443 dropped, Docker Hub aliases folded.
    ['ir_lower', 'ir_first.lowerAscii()'],
    ['ir_host', 'ir_lower.endsWith(":443") ? ir_lower.substring(0, size(ir_lower) - 4) : ir_lower'],
    [
      'ir_registry',
      `!ir_hosted || ir_host in ${JSON.stringify(['docker.io', ...DOCKER_HUB_ALIASES])} ? "docker.io" : ir_host`,
    ],
    [
      'ir_repository',
      'ir_registry == "docker.io" && !ir_path.contains("/") ? "library/" + ir_path : ir_path',
    ],
    ['ir_key', 'ir_registry + "/" + ir_repository'],
    [
      'ir_valid',
      [
        `size(ir_s) <= ${MAX_INPUT_LENGTH}`,
        `ir_s.matches(${raw(PRINTABLE)})`,
        `!ir_s.matches(${raw(IMAGE_ID_SHAPED)})`,
        'ir_name != ""',
        `(!ir_tagged || ${celValidTag('ir_tag')})`,
        `(ir_at < 0 || ir_dg.matches(${raw(DIGEST)}))`,
        `(!ir_hosted || ir_first.matches(${raw(HOST)}))`,
        `ir_path.matches(${raw(PATH)})`,
        `size(ir_key) <= ${MAX_NAME_LENGTH}`,
      ].join(' && '),
    ],
  ];
  const result =
    '{"image": ir_s, "valid": ir_valid ? "true" : "", "key": ir_valid ? ir_key : "", ' +
    '"digest": ir_valid ? ir_dg : "", "tag": ir_valid ? ir_tag : ""}';
  return steps.reduceRight((body, [name, value]) => bind(name, value, body), result);
}

/** What `celImageReference` yields for one image, as the TypeScript parser would say it. */
export interface CelImageReference {
  image: string;
  valid: '' | 'true';
  key: string;
  digest: string;
  tag: string;
}
