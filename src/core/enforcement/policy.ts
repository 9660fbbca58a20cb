// The admission policy of DESIGN.md §5 as plain objects: one ValidatingAdmissionPolicy, a binding for
// namespaces labelled `signwarden.dev/enforcement=deny` and one for `=warn`, and a small guard policy
// that keeps the EnforcementParameters objects the operator's to write. Pure: options in, objects out;
// docs/enforcement.md explains the decisions, test/e2e/enforcement-cel.e2e.test.ts runs them.
import {
  bind,
  celCanonicalKeyOf,
  celCanonicalReference,
  celColonTag,
  celColonTagValid,
  celImageReference,
  celMayBeTaggedWithDigest,
} from './cel-canonical.ts';
import { enforcementParametersKind } from '../../api/enforcement-parameters.ts';
import { API_VERSION, GROUP } from '../../api/group.ts';
import { DEFAULT_PARAMETERS_NAME } from './parameters.ts';

export const ENFORCEMENT_LABEL = 'signwarden.dev/enforcement';
export const DEFAULT_POLICY_NAME = 'signwarden-enforcement';
const ADMISSION_API = 'admissionregistration.k8s.io/v1';

export interface PolicyOptions {
  /** The namespace the operator runs in: excluded, and where its service account lives. */
  operatorNamespace: string;
  /** The operator's service account: the only writer of the parameters. */
  operatorServiceAccount: string;
  /**
   * The user name the operator authenticates as, when known (it asks the API server who it is):
   * overrides the service account's user name in the guard.
   */
  operatorUsername?: string;
  /** Namespaces never enforced, whatever their label. Default: the operator's and kube-system. */
  excludedNamespaces?: readonly string[];
  /** `--require-digests`: a tag reference into a guarded repository is always denied. */
  requireDigests?: boolean;
  /** Name of the policy (bindings and guard are named after it). */
  name?: string;
  /** Name of the EnforcementParameters object in each enforced namespace. */
  parametersName?: string;
}

type Obj = Record<string, unknown>;

export interface GeneratedPolicy {
  policy: Obj;
  /** The deny binding first, then the warn binding. */
  bindings: [Obj, Obj];
  /** Denies writes of the parameters by anyone but the operator. */
  guard: { policy: Obj; binding: Obj };
}

/** Pod templates checked for early feedback (only against digests known to violate). */
export const WORKLOAD_RULES = [
  { apiGroups: [''], resources: ['replicationcontrollers'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'] },
];

const CONTAINER_FIELDS = ['containers', 'initContainers', 'ephemeralContainers'];

/** The images of a pod spec (containers, init and ephemeral containers), for a CEL expression `spec`. */
const celImages = (spec: string): string =>
  CONTAINER_FIELDS.map((field) => `${spec}.?${field}.orValue([]).map(c, string(c.?image.orValue("")))`).join(
    ' + ',
  );

/**
 * The pod spec (optional) an object carries, by kind (a CEL string expression): a Pod's own, a
 * CronJob's job template's, else the template's.
 */
const celPodSpec = (object: string, kind: string): string =>
  `${kind} == "Pod" ? ${object}.?spec : ${kind} == "CronJob" ? ` +
  `${object}.?spec.?jobTemplate.?spec.?template.?spec : ${object}.?spec.?template.?spec`;

/** The images of an object's pod spec, for CEL expressions `object` and `kind`; [] when none. */
const celObjectImages = (object: string, kind: string, name: string): string =>
  bind(name, celPodSpec(object, kind), `${name}.hasValue() ? ${celImages(`${name}.value()`)} : []`);

/** The verdicts' map of the parameters; the custom resource reaches CEL unconverted. */
const PARAMETER_REPOSITORIES = 'params.spec.?repositories.orValue({})';
/** The admitted digests, keyed `<repository>@<digest>`. */
const PARAMETER_ADMITTED = 'params.spec.?admitted.orValue({})';
/** Whether the verdicts did not fit: every repository then counts as guarded. */
const PARAMETER_OVERFLOW = 'params.spec.?overflow.orValue(false)';

// The verdicts of a canonical reference `r` (a map from celImageReference): '' when none listed.
const ENTRY = 'variables.repositories[?r.key]';
const DIGEST_VERDICT = `${ENTRY}.?digests[?r.digest].orValue("")`;
const TAG_VERDICT = `${ENTRY}.?tags[?(r.tag == "" ? "latest" : r.tag)].orValue("")`;

/**
 * Whether `listed(key)` holds for the name `name` (a CEL string expression, read several times) as
 * Docker Hub's short forms fold it: `nginx` to `docker.io/library/nginx`, `bitnami/redis` to
 * `docker.io/bitnami/redis` (a first component that names no host: no '.' or ':', not `localhost`),
 * as image-reference.ts does. `name` may end in `@<digest>`, which holds no '/'.
 */
const listedOnDockerHub = (name: string, listed: (key: string) => string): string =>
  `(!${name}.contains("/") ? ${listed(`"docker.io/library/" + ${name}`)} : ` +
  `${name}.matches(r'^[^/.:]+/') && !${name}.startsWith("localhost/") && ${listed(`"docker.io/" + ${name}`)})`;

/** The same for `name` as written, or folded as a Docker Hub short form. */
const listedAsSpelled = (name: string, listed: (key: string) => string): string =>
  `(${listed(name)} || ${listedOnDockerHub(name, listed)})`;

/** The CEL string expression `text` without its tag, `colonTag` (celColonTag of it). */
const untagged = (text: string, colonTag: string) =>
  `${text}.substring(0, size(${text}) - size(${colonTag}))`;

/**
 * Whether the map `repositories` lists the digest or tag `text` (CEL expressions) of repository
 * `key` as admitted.
 */
const listedUnder = (repositories: string, field: 'digests' | 'tags', key: string, text: string): string =>
  `${repositories}[?${key}].?${field}[?${text}].orValue("").startsWith("+")`;

/**
 * Whether image `i` is listed as admitted as written: `<name>@<digest>` or `<name>:<tag>@<digest>`
 * (a valid tag) with an admitted digest (in the map `admitted` by reference, or in `repositories`
 * under its repository), or (`tags`) `<name>:<tag>` with an admitted tag, where `<name>` is a
 * listed repository key or a Docker Hub short form of one. Every key the parameters hold is the
 * exact text of a canonical repository, reference, digest or tag (parameters.ts checks it), and a
 * reference made of such texts (or of a short form that folds to such a key) canonicalizes to
 * exactly them, so this agrees with the full path while skipping the canonicalization: the common
 * case, cheapest. Names are prefixed `lw_` so that they shadow nothing.
 */
const listedAsWritten = (i: string, tags: boolean, repositories: string, admitted: string): string => {
  const inAdmitted = (key: string) => `(${key}) in ${admitted}`;
  // split, unlike indexOf and substring, does not copy the text into code points.
  const digest = `${i}.split("@", 2)[1]`;
  const byRepository = (key: string) => listedUnder(repositories, 'digests', key, digest);
  // Whether `<name>:<tag>@<digest>` (a valid tag), `lw_n` bound to `<name>:<tag>`, is listed
  // without its tag.
  const tagged = (listed: (key: string) => string) =>
    bind(
      'lw_t',
      celColonTag('lw_n'),
      // Without binding: read once when listed as written, the common case.
      `${celColonTagValid('lw_t')} && ${listedAsSpelled(untagged('lw_n', 'lw_t'), listed)}`,
    );
  const name = `${i}.split("@", 2)[0]`;
  // Listed by reference first: as written, one map read and no parsing. The parameters list
  // admitted digests either by reference or, when too many for that, under their repository.
  const byDigest =
    `${inAdmitted(i)} || ${i}.contains("@") && (size(${admitted}) > 0 ? ` +
    `${listedOnDockerHub(i, inAdmitted)} || ${celMayBeTaggedWithDigest(i)} && ${bind(
      'lw_n',
      name,
      tagged((key) => inAdmitted(`${key} + "@" + ${digest}`)),
    )} : ` +
    `${byRepository(name)} || ${bind('lw_n', name, `${listedOnDockerHub('lw_n', byRepository)} || ${tagged(byRepository)}`)})`;
  const byTag = bind(
    'lw_t',
    celColonTag(i),
    `${celColonTagValid('lw_t')} && ${listedAsSpelled(untagged(i, 'lw_t'), (key) => listedUnder(repositories, 'tags', key, 'lw_t.substring(1)'))}`,
  );
  return tags ? `(${byDigest}) || (!${i}.contains("@") && ${byTag})` : byDigest;
};

/**
 * Whether image `i` is written in canonical form (`<key>`, `<key>:<tag>`, `<key>@<digest>` or
 * `<key>:<tag>@<digest>`, every part valid) naming a repository the map `repositories` does not
 * hold, while `overflow` (a CEL bool) is false: a repository nobody guards, with no digest known to
 * violate, which the full path admits. Patterns over the whole text, then one map read.
 */
const unguardedAsWritten = (i: string, repositories: string, overflow: string): string =>
  `!${overflow} && ${celCanonicalReference(i)} && !(${celCanonicalKeyOf(i)} in ${repositories})`;

/** The CEL expressions that read the parameters: their two maps and whether they overflowed. */
interface ParameterExpressions {
  repositories: string;
  admitted: string;
  overflow: string;
}

/** The images of the old object of an UPDATE; [] on CREATE. */
const celOldImages = (kind: string): string =>
  `oldObject == null ? [] : ${celObjectImages('oldObject', kind, 'im_old')}`;

export function generatePolicy(options: PolicyOptions): GeneratedPolicy {
  const name = options.name ?? DEFAULT_POLICY_NAME;
  const parametersName = options.parametersName ?? DEFAULT_PARAMETERS_NAME;
  const excluded = [...(options.excludedNamespaces ?? [options.operatorNamespace, 'kube-system'])].sort();
  const requireDigests = options.requireDigests === true;
  // Whether image `i` needs judging in full: the update introduces it (not in the list `old`; none
  // on CREATE), and the shortcuts, reading the parameters' maps and overflow, cannot admit it as
  // written: listed as admitted, or in canonical form in a repository nobody guards.
  const undecided = (i: string, old: string | undefined, p: ParameterExpressions): string =>
    `${old === undefined ? '' : `!(${i} in ${old}) && `}` +
    `!(${listedAsWritten(i, !requireDigests, p.repositories, p.admitted)}) && ` +
    `!(${unguardedAsWritten(i, p.repositories, p.overflow)})`;
  const fromParameters = {
    repositories: PARAMETER_REPOSITORIES,
    admitted: PARAMETER_ADMITTED,
    overflow: PARAMETER_OVERFLOW,
  };
  // Whether a container of the lists `containers(field)` has an image (`image`, read from `c`) the
  // shortcuts cannot decide, `old` listing the old images.
  const anyUndecided = (containers: (field: string, first: boolean) => string, image: string, old?: string) =>
    CONTAINER_FIELDS.map(
      (field, n) => `${containers(field, n === 0)}.exists(c, ${undecided(image, old, fromParameters)})`,
    ).join(' || ');
  const introducesUndecided = (old?: string): string =>
    anyUndecided(
      (field) => `(${celPodSpec('object', 'request.kind.kind')}).?${field}.orValue([])`,
      'c.?image.orValue("")',
      old,
    );
  // The same for a Pod's CREATE, the request that matters most: the API server validated the Pod
  // before admission, so it has containers, each with an image, and nothing needs an optional read.
  const podIntroducesUndecided = anyUndecided(
    (field, first) => (first ? `object.spec.${field}` : `object.spec.?${field}.orValue([])`),
    'c.image',
  );

  const guarded = `(variables.everyGuarded || ${ENTRY}.?guardedBy.hasValue())`;
  const admittedDigest = `((r.key + "@" + r.digest) in variables.admitted || ${DIGEST_VERDICT}.startsWith("+"))`;
  const violatingDigest = `${DIGEST_VERDICT}.startsWith("-")`;
  const admittedTag = `${TAG_VERDICT}.startsWith("+")`;
  const violatingTag = `${TAG_VERDICT}.startsWith("-")`;
  // A Pod is the gate: a digest known to violate is denied in any repository (Invalid needs no
  // history); a guarded repository is admitted only by an admitted digest, or a tag that resolved to
  // one. A template is denied only for what is known to violate (or can never pass).
  const admitted =
    `r.valid != "" && (r.digest != "" ? !${violatingDigest} && (!${guarded} || ${admittedDigest}) : ` +
    `!${guarded} || ${requireDigests ? 'false' : admittedTag})`;
  const violates =
    `r.valid == "" || (r.digest != "" ? ${violatingDigest} : ` +
    `${guarded} && ${requireDigests ? 'true' : violatingTag})`;

  const shown = `(r.image.matches(r'^[\\x20-\\x7e]{1,256}$') ? "\\"" + r.image + "\\"" : "(unprintable or over 256 characters)")`;
  const source = `${ENTRY}.?guardedBy.orValue("driftfindings")`;
  const expected = `${ENTRY}.?signers.orValue("unknown")`;
  const finding = (verdict: string) =>
    `[${verdict}].map(v, size(v) > 1 ? "driftfinding " + v.substring(1) : "driftfindings")[0]`;
  const why =
    `r.digest != "" ? (${violatingDigest} ? ` +
    `"digest " + r.digest + " breaks the repository's signing history; see: kubectl get " + ${finding(DIGEST_VERDICT)} : ` +
    `"digest " + r.digest + " was never verified: signwarden verifies the digests a tag of the repository points at or a workload (a Deployment, a Job, ...) names; push it under a tag or create the workload, then retry; see: kubectl get " + ${source}) : ` +
    (requireDigests
      ? `"a guarded repository must be referenced by digest (--require-digests); see: kubectl get " + ${source}`
      : `(${violatingTag} ? ` +
        `"tag " + (r.tag == "" ? "latest" : r.tag) + " resolves to a digest that breaks the repository's signing history; see: kubectl get " + ${finding(TAG_VERDICT)} : ` +
        `"tag " + (r.tag == "" ? "latest" : r.tag) + " has not resolved to a verified digest; reference a verified digest or retry; see: kubectl get " + ${source})`);
  const explanation =
    `r.valid == "" ? "image " + ${shown} + " is not a valid image reference: signwarden cannot tell its repository, and denies it where enforced" : ` +
    `"image " + ${shown} + " of repository " + r.key + ": " + (${why}) + " (expected signers: " + ${expected} + ")"`;

  const policy: Obj = {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'signwarden' } },
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: API_VERSION, kind: enforcementParametersKind.kind },
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['pods', 'pods/ephemeralcontainers'],
          },
          ...WORKLOAD_RULES.map((rule) => ({
            ...rule,
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE'],
          })),
        ],
      },
      // The API server converts the object for each of validations, messages and audit annotations,
      // and evaluates the variables anew each time; a request whose every image the shortcuts admit
      // (the common case) skips all three at the cost of one evaluation.
      matchConditions: [
        {
          name: 'introduces-undecided-images',
          // Without bindings (each a comprehension) on CREATE: it reads each image a few times and
          // builds no list. An UPDATE lists the old images once.
          expression:
            `oldObject == null && request.kind.kind == "Pod" ? ${podIntroducesUndecided} : ` +
            `oldObject == null ? ${introducesUndecided(undefined)} : ${bind(
              'mc_old',
              celObjectImages('oldObject', 'request.kind.kind', 'im_old'),
              introducesUndecided('mc_old'),
            )}`,
        },
      ],
      variables: [
        { name: 'kind', expression: 'request.kind.kind' },
        // The custom resource reaches CEL unconverted, and each lookup reads one map entry.
        { name: 'repositories', expression: PARAMETER_REPOSITORIES },
        { name: 'admitted', expression: PARAMETER_ADMITTED },
        { name: 'everyGuarded', expression: PARAMETER_OVERFLOW },
        { name: 'images', expression: celObjectImages('object', 'variables.kind', 'im_spec') },
        { name: 'oldImages', expression: celOldImages('variables.kind') },
        // On UPDATE only what the update introduces: the rest was admitted before, and denying a
        // metadata update (a finalizer removed, a label) of a running Pod protects nothing.
        {
          name: 'undecided',
          expression: `variables.images.filter(i, ${undecided('i', 'variables.oldImages', {
            repositories: 'variables.repositories',
            admitted: 'variables.admitted',
            overflow: 'variables.everyGuarded',
          })})`,
        },
        { name: 'references', expression: `variables.undecided.map(i, ${celImageReference('i')})` },
        {
          name: 'violations',
          expression: `variables.references.filter(r, variables.kind == "Pod" ? !(${admitted}) : (${violates}))`,
        },
        { name: 'explanations', expression: `variables.violations.map(r, ${explanation})` },
      ],
      validations: [
        {
          expression: 'size(variables.violations) == 0',
          messageExpression:
            '"signwarden: " + variables.explanations[0] + (size(variables.explanations) > 1 ? ' +
            '" (and " + string(size(variables.explanations) - 1) + " more)" : "")',
          message: 'signwarden: an image is not admitted by its signing history',
          reason: 'Forbidden',
        },
      ],
      auditAnnotations: [
        {
          key: 'violations',
          valueExpression:
            // An empty value leaves the annotation out.
            'variables.violations.map(r, r.valid == "" ? "invalid reference" : r.key + (r.digest != "" ? "@" + r.digest : ":" + (r.tag == "" ? "latest" : r.tag))).join(", ")',
        },
      ],
    },
  };

  const binding = (mode: 'deny' | 'warn', validationActions: string[]): Obj => ({
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: `${name}-${mode}`, labels: { 'app.kubernetes.io/managed-by': 'signwarden' } },
    spec: {
      policyName: name,
      validationActions,
      // No namespace: each request's own namespace holds its parameters; none there fails closed.
      paramRef: { name: parametersName, parameterNotFoundAction: 'Deny' },
      matchResources: {
        namespaceSelector: {
          matchExpressions: [
            { key: ENFORCEMENT_LABEL, operator: 'In', values: [mode] },
            ...(excluded.length > 0
              ? [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: excluded }]
              : []),
          ],
        },
      },
    },
  });

  const operator =
    options.operatorUsername ??
    `system:serviceaccount:${options.operatorNamespace}:${options.operatorServiceAccount}`;
  const guardName = `${name}-parameters-guard`;
  const guard = {
    policy: {
      apiVersion: ADMISSION_API,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: guardName, labels: { 'app.kubernetes.io/managed-by': 'signwarden' } },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [GROUP],
              // Any version a later CRD serves.
              apiVersions: ['*'],
              // Not DELETE: deleted parameters fail closed, and namespace deletion must proceed.
              operations: ['CREATE', 'UPDATE'],
              resources: [enforcementParametersKind.plural],
              resourceNames: [parametersName],
            },
          ],
        },
        validations: [
          {
            // JSON string escapes are valid CEL string escapes: any user name is a literal.
            expression: `request.userInfo.username == ${JSON.stringify(operator)}`,
            message: `only signwarden (${operator}) writes the enforcement parameters (EnforcementParameters ${parametersName})`,
            reason: 'Forbidden',
          },
        ],
      },
    },
    binding: {
      apiVersion: ADMISSION_API,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: guardName, labels: { 'app.kubernetes.io/managed-by': 'signwarden' } },
      spec: { policyName: guardName, validationActions: ['Deny'] },
    },
  };

  return { policy, bindings: [binding('deny', ['Deny']), binding('warn', ['Warn', 'Audit'])], guard };
}
