// Enforcement end to end: the operator applies the admission policy and keeps the parameters of
// labelled namespaces from its continuity decisions; the API server (with kube-controller-manager
// creating the Pods of Deployments) then admits and denies by them, and keeps doing so while the
// operator is stopped.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EnforcementParametersSpec } from '../../src/api/enforcement-parameters.ts';
import { generateParameters } from '../../src/core/enforcement/parameters.ts';
import { digestVerdict } from '../../src/core/enforcement/published-verdicts.ts';
import { installCrds } from './harness/crds.ts';
import { kubectl, kubectlItems } from './harness/kubectl.ts';
import { operatorReady, startOperator } from './harness/operator-process.ts';
import type { OperatorProcess } from './harness/operator-process.ts';
import { eventually } from './harness/poll.ts';
import type { Image } from './harness/signing/publish.ts';
import { publishBundle, pushRandomImage, tagImage } from './harness/signing/publish.ts';
import type { Signer, TestSigstore } from './harness/signing/test-sigstore.ts';
import { createTestSigstore, withFlippedBundleSignature } from './harness/signing/test-sigstore.ts';

const host = inject('registryHost');
const run = randomBytes(3).toString('hex');
const ns = {
  system: `enf-${run}-system`,
  observe: `enf-${run}-observe`,
  deny: `enf-${run}-deny`,
  warn: `enf-${run}-warn`,
};
const GH = 'https://token.actions.githubusercontent.com';
const release: Signer = {
  subject: `https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1.0.0`,
  issuer: GH,
};
const mallory: Signer = { subject: 'mallory@evil.example', issuer: 'https://accounts.google.com' };
const WAIT = { timeoutMs: 60_000, intervalMs: 300 };
const POLICY = 'signwarden-enforcement';

const repo = (name: string) => `enf-${run}/${name}`;
const key = (name: string) => `${host}/${repo(name)}`;

interface Finding {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { repository: string; kind: string; subject: string };
  status?: { phase?: string };
}

const findingsOf = async (name: string) =>
  (await kubectlItems<Finding>('driftfindings')).filter((f) => f.spec.repository === key(name));

describe('enforcement', () => {
  let sigstore: TestSigstore;
  let trustedRoot: string;
  let op: OperatorProcess;
  let api: Image;
  let apiUnsigned: Image;

  const startEnforcing = async () => {
    const started = await startOperator({
      kubeconfig: inject('kubeconfig'),
      identity: `enforcement-${run}`,
      namespace: ns.system,
      enforcement: 'manage',
      args: [
        `--trusted-root=${trustedRoot}`,
        `--insecure-registries=${host}`,
        '--posture-ttl=2s',
        '--establish-after=2s',
        '--leader-elect=false',
        '--tag-watch-interval=1s',
      ],
    });
    await operatorReady(started);
    return started;
  };
  const signed = async (name: string, signer: Signer) => {
    const image = await pushRandomImage(host, repo(name));
    await publishBundle(image, await sigstore.signBundle({ digest: image.digest, signer }));
    return image;
  };
  /** `kubectl run` of a bare Pod; the result, whatever it is. */
  const runPod = (namespace: string, name: string, image: Image | string) =>
    kubectl([
      'run',
      name,
      '-n',
      namespace,
      `--image=${typeof image === 'string' ? image : image.ref}`,
      '--restart=Never',
    ]);
  const admitted = async (namespace: string, name: string, image: Image | string) => {
    const got = await runPod(namespace, name, image);
    expect(got.code, got.stderr).toBe(0);
    return got;
  };
  const denied = async (namespace: string, name: string, image: Image | string) => {
    const got = await runPod(namespace, name, image);
    expect(got.code, got.stdout).not.toBe(0);
    expect(got.stderr).toContain('signwarden:');
    return got.stderr;
  };
  /** The parameters of `namespace` list `verdict` for the digest or tag `of` of repository `name`. */
  const published = (
    namespace: string,
    name: string,
    field: 'digests' | 'tags',
    of: string,
    verdict: string,
  ) =>
    eventually(async () => {
      const got = await kubectl(['get', 'enforcementparameters', POLICY, '-n', namespace, '-o', 'json']);
      expect(got.code, got.stderr).toBe(0);
      const { spec } = JSON.parse(got.stdout) as { spec: EnforcementParametersSpec };
      expect(
        field === 'digests' ? digestVerdict(spec, key(name), of) : spec.repositories[key(name)]?.tags?.[of],
      ).toBe(verdict);
    }, WAIT);
  /** The finding of `kind` about `image` (its digest is the subject). */
  const findingOf = async (name: string, kind: string, image: Image) => {
    let found: Finding | undefined;
    await eventually(async () => {
      found = (await findingsOf(name)).find((f) => f.spec.kind === kind && f.spec.subject === image.digest);
      expect(found, `${kind} finding of ${name}`).toBeDefined();
    }, WAIT);
    return found!;
  };

  beforeAll(async () => {
    await installCrds();
    sigstore = await createTestSigstore();
    trustedRoot = join(sigstore.dir, 'operator-trusted-root.json');
    await writeFile(trustedRoot, JSON.stringify(sigstore.trustedRoot));
    for (const name of Object.values(ns)) expect((await kubectl(['create', 'namespace', name])).code).toBe(0);
    for (const [name, mode] of [
      [ns.deny, 'deny'],
      [ns.warn, 'warn'],
    ] as const)
      expect((await kubectl(['label', 'namespace', name, `signwarden.dev/enforcement=${mode}`])).code).toBe(
        0,
      );
    op = await startEnforcing();

    // An established history: `api` signed by the release workflow, seen in an unlabelled namespace.
    api = await signed('api', release);
    await admitted(ns.observe, 'api', api);
    await eventually(async () => {
      const got = await kubectl(['get', 'signingbaselines', '-o', 'json']);
      const baselines = (
        JSON.parse(got.stdout) as {
          items: { spec: { repository: string }; status?: { established?: boolean } }[];
        }
      ).items;
      expect(baselines.find((b) => b.spec.repository === key('api'))?.status?.established).toBe(true);
    }, WAIT);
    await published(ns.deny, 'api', 'digests', api.digest, '+');
    // The API server takes up a new policy, its bindings and their parameters asynchronously.
    await eventually(async () => {
      const probe = await kubectl([
        'run',
        'probe',
        '-n',
        ns.deny,
        `--image=${api.ref}`,
        '--restart=Never',
        '--dry-run=server',
      ]);
      expect(probe.code, probe.stderr).toBe(0);
    }, WAIT);
  });
  afterAll(async () => {
    await op?.stop('SIGKILL');
    await kubectl(['delete', 'namespace', '--wait=false', ...Object.values(ns)]);
    await kubectl([
      'delete',
      'validatingadmissionpolicies,validatingadmissionpolicybindings',
      '-l',
      'app.kubernetes.io/managed-by=signwarden',
    ]);
    await kubectl(['delete', 'signaturepin', `pinned-${run}`, '--ignore-not-found']);
    await sigstore?.remove();
  });

  it('applies the policy, its bindings and the guard, and writes nothing more when nothing changes', async () => {
    const got = await kubectl([
      'get',
      'validatingadmissionpolicies,validatingadmissionpolicybindings',
      '-l',
      'app.kubernetes.io/managed-by=signwarden',
      '-o',
      'name',
    ]);
    expect(got.stdout.trim().split('\n').sort()).toEqual(
      [
        `validatingadmissionpolicy.admissionregistration.k8s.io/${POLICY}`,
        `validatingadmissionpolicy.admissionregistration.k8s.io/${POLICY}-parameters-guard`,
        `validatingadmissionpolicybinding.admissionregistration.k8s.io/${POLICY}-deny`,
        `validatingadmissionpolicybinding.admissionregistration.k8s.io/${POLICY}-parameters-guard`,
        `validatingadmissionpolicybinding.admissionregistration.k8s.io/${POLICY}-warn`,
      ].sort(),
    );
    // Their status says admission can decide by them.
    await eventually(async () => {
      const status = await kubectl([
        'get',
        'swparams',
        POLICY,
        '-n',
        ns.deny,
        '-o',
        'jsonpath={range .status.conditions[*]}{.type}={.status}/{.reason} {end}',
      ]);
      expect(status.stdout.trim().split(' ').sort()).toEqual([
        'Complete=True/AllVerdictsFit',
        'PolicyReady=True/PolicyInPlace',
      ]);
    }, WAIT);
    // Parameters only where a namespace enforces; the operator's own namespace is excluded.
    for (const namespace of [ns.observe, ns.system]) {
      const none = await kubectl(['get', 'enforcementparameters', POLICY, '-n', namespace]);
      expect(none.code).not.toBe(0);
    }
    // kubectl shows what they list.
    const listed = await kubectl(['get', 'swparams', '-n', ns.deny]);
    expect(listed.stdout).toMatch(/^NAME\s+POLICY\s+COMPLETE\s+REPOSITORIES\s+DIGESTS\s+AGE\n/);
    expect(listed.stdout).toMatch(new RegExp(`^${POLICY}\\s+True\\s+True\\s+\\d+\\s+\\d+\\s`, 'm'));
    // Nobody but the operator writes them, not even a cluster admin.
    const forged = await kubectl(
      // Taking the fields over (--force-conflicts), as a forger would.
      ['apply', '--server-side', '--force-conflicts', '-f', '-', '--as=mallory', '--as-group=system:masters'],
      {
        input: JSON.stringify(generateParameters({ namespace: ns.deny, repositories: [] }).object),
      },
    );
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain('writes the enforcement parameters');
  });

  it('in a deny namespace: admits a baseline signer and unseen repositories, denies an unverified digest', async () => {
    await admitted(ns.deny, 'api', api);
    // A repository never seen: nothing to regress against.
    await admitted(ns.deny, 'fresh', await pushRandomImage(host, repo('fresh')));
    // A digest of the guarded repository nobody has verified yet: fail closed, say how to proceed.
    const unseen = await pushRandomImage(host, repo('api'));
    const message = await denied(ns.deny, 'unseen', unseen);
    expect(message).toContain(`image "${unseen.ref}" of repository ${key('api')}`);
    expect(message).toContain('was never verified');
    expect(message).toContain('push it under a tag or create the workload, then retry');
    expect(message).toContain(`expected signers: ${release.subject.replace('v1.0.0', '*')}`);
    expect(message).toContain('kubectl get signingbaseline/');
  });

  it('denies an unsigned digest of an established repository, pointing at its finding; a Deployment naming it too', async () => {
    apiUnsigned = await pushRandomImage(host, repo('api'));
    // Unlabelled namespace: nothing is enforced, the finding is still created.
    await admitted(ns.observe, 'api-unsigned', apiUnsigned);
    const finding = await findingOf('api', 'Unsigned', apiUnsigned);
    await published(ns.deny, 'api', 'digests', apiUnsigned.digest, `-${finding.metadata.name}`);
    const message = await denied(ns.deny, 'api-unsigned', apiUnsigned);
    expect(message).toContain('breaks the repository');
    expect(message).toContain(`kubectl get driftfinding ${finding.metadata.name}`);
    const deployment = await kubectl([
      'create',
      'deployment',
      'bad',
      '-n',
      ns.deny,
      `--image=${apiUnsigned.ref}`,
    ]);
    expect(deployment.code).not.toBe(0);
    expect(deployment.stderr).toContain(`kubectl get driftfinding ${finding.metadata.name}`);
  });

  it('denies an Invalid image anywhere enforced, even in a repository without history', async () => {
    const broken = await pushRandomImage(host, repo('broken'));
    const signature = await sigstore.signBundle({ digest: broken.digest, signer: release });
    await publishBundle(broken, withFlippedBundleSignature(signature));
    await admitted(ns.observe, 'broken', broken);
    const finding = await findingOf('broken', 'Invalid', broken);
    await published(ns.deny, 'broken', 'digests', broken.digest, `-${finding.metadata.name}`);
    expect(await denied(ns.deny, 'broken', broken)).toContain(
      `kubectl get driftfinding ${finding.metadata.name}`,
    );
    // Other digests of that repository are not guarded.
    await admitted(ns.deny, 'broken-other', await pushRandomImage(host, repo('broken')));
  });

  it('denies a pinned repository signed by someone else', async () => {
    const pin = {
      apiVersion: 'signwarden.dev/v1alpha1',
      kind: 'SignaturePin',
      metadata: { name: `pinned-${run}` },
      spec: {
        repositories: [key('pinned')],
        signers: [{ keyless: { issuer: GH, subject: release.subject } }],
      },
    };
    expect((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(pin) })).code).toBe(0);
    const good = await signed('pinned', release);
    const bad = await signed('pinned', mallory);
    await admitted(ns.observe, 'pinned-good', good);
    await admitted(ns.observe, 'pinned-bad', bad);
    const finding = await findingOf('pinned', 'PinViolation', bad);
    await published(ns.deny, 'pinned', 'digests', bad.digest, `-${finding.metadata.name}`);
    await admitted(ns.deny, 'pinned-good', good);
    const message = await denied(ns.deny, 'pinned-bad', bad);
    expect(message).toContain(`kubectl get driftfinding ${finding.metadata.name}`);
  });

  it('in a warn namespace admits with a warning and an audit annotation; unlabelled namespaces are not enforced', async () => {
    const unseen = await pushRandomImage(host, repo('api'));
    const warned = await admitted(ns.warn, 'unseen', unseen);
    expect(warned.stderr).toMatch(/^Warning: .*binding 'signwarden-enforcement-warn': signwarden: /m);
    expect(warned.stderr).toContain('was never verified');
    // The API server's audit log records what the policy found (the e2e control plane writes one).
    const auditLog = inject('auditLog');
    if (auditLog !== '')
      await eventually(async () => {
        const created = (await readFile(auditLog, 'utf8'))
          .split('\n')
          .filter((line) => line.includes(`"namespace":"${ns.warn}"`))
          .map((line) => JSON.parse(line) as { verb: string; annotations?: Record<string, string> })
          .find((event) => event.verb === 'create');
        expect(created?.annotations?.[`${POLICY}/violations`]).toBe(`${key('api')}@${unseen.digest}`);
      }, WAIT);
    const quiet = await admitted(ns.observe, 'unseen', unseen);
    expect(quiet.stderr).not.toContain('signwarden');
  });

  it('a Deployment rolling out a new signed digest gets its Pods once the operator verified it', async () => {
    const next = await signed('api', { ...release, subject: release.subject.replace('v1.0.0', 'v1.1.0') });
    const created = await kubectl(['create', 'deployment', 'rollout', '-n', ns.deny, `--image=${next.ref}`]);
    expect(created.code, created.stderr).toBe(0);
    await eventually(async () => {
      const pods = await kubectlItems<{ spec: { containers: { image: string }[] } }>('pods', ns.deny);
      expect(pods.some((p) => p.spec.containers[0]?.image === next.ref)).toBe(true);
    }, WAIT);
  });

  it('a signed release pushed to a guarded repository is admitted on first use, as a bare Pod, by digest or tag', async () => {
    const next = await signed('api', { ...release, subject: release.subject.replace('v1.0.0', 'v2.0.0') });
    await tagImage(next, 'v2.0.0');
    await published(ns.deny, 'api', 'digests', next.digest, '+');
    await admitted(ns.deny, 'api-v2-digest', next);
    await published(ns.deny, 'api', 'tags', 'v2.0.0', '+');
    await admitted(ns.deny, 'api-v2-tag', `${key('api')}:v2.0.0`);
  });

  it('an unsigned push into a guarded repository is a DriftFinding before anything runs it', async () => {
    const pushed = await pushRandomImage(host, repo('api'));
    await tagImage(pushed, 'v2.0.1');
    const finding = await findingOf('api', 'Unsigned', pushed);
    const got = await kubectl(['get', 'driftfinding', finding.metadata.name, '-o', 'json']);
    expect(
      (JSON.parse(got.stdout) as { status: { affectedWorkloads: unknown[] } }).status.affectedWorkloads,
    ).toEqual([{ kind: 'RegistryTag', namespace: '', name: `${key('api')}:v2.0.1` }]);
    await published(ns.deny, 'api', 'tags', 'v2.0.1', `-${finding.metadata.name}`);
    expect(await denied(ns.deny, 'api-v2-unsigned', `${key('api')}:v2.0.1`)).toContain(
      `kubectl get driftfinding ${finding.metadata.name}`,
    );
  });

  it('the digest of an accepted finding is admitted', async () => {
    const finding = await findingOf('api', 'Unsigned', apiUnsigned);
    const accept = await kubectl([
      'annotate',
      'driftfinding',
      finding.metadata.name,
      'signwarden.dev/accept=hotfix built by hand, reviewed',
    ]);
    expect(accept.code, accept.stderr).toBe(0);
    await published(ns.deny, 'api', 'digests', apiUnsigned.digest, '+accepted');
    await admitted(ns.deny, 'api-unsigned', apiUnsigned);
  });

  it('keeps enforcing while the operator is stopped, and a restart rewrites nothing and forgets no verified digest', async () => {
    // A verified digest nothing uses any more (the rollout's, once its Deployment is gone) stays
    // admitted, across the restart too: a rollback must not wait for it to be verified again.
    const rolledOut = (
      await kubectl([
        'get',
        'deployment',
        'rollout',
        '-n',
        ns.deny,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ])
    ).stdout;
    expect((await kubectl(['delete', 'deployment', 'rollout', '-n', ns.deny])).code).toBe(0);
    await eventually(async () => {
      const pods = await kubectlItems<{ spec: { containers: { image: string }[] } }>('pods', ns.deny);
      expect(pods.filter((p) => p.spec.containers[0]?.image === rolledOut)).toEqual([]);
    }, WAIT);
    const retained = rolledOut.split('@')[1]!;
    await published(ns.deny, 'api', 'digests', retained, '+');
    expect(await op.stop()).toBe(0);
    await admitted(ns.deny, 'api-while-down', api);
    const unseen = await pushRandomImage(host, repo('api'));
    expect(await denied(ns.deny, 'unseen-while-down', unseen)).toContain('was never verified');
    op = await startEnforcing();
    // Once the restarted operator has rebuilt its verdicts (it re-reads every namespace), the
    // parameters it finds are the ones it would write.
    await eventually(async () => {
      const metrics = (await op.get('/metrics')).body;
      expect(metrics).toMatch(
        new RegExp(`signwarden_enforcement_parameter_bytes\\{namespace="${ns.deny}"\\} [1-9]`),
      );
      expect(metrics).toMatch(/^signwarden_enforcement_policy_ready 1$/m);
    }, WAIT);
    const metrics = (await op.get('/metrics')).body;
    expect(metrics).not.toMatch(/signwarden_enforcement_parameter_writes_total\{result="applied"\} [1-9]/);
    await published(ns.deny, 'api', 'digests', retained, '+');
    await admitted(ns.deny, 'rollback', rolledOut);
  });
});
