// `make demo`: the product tour, on a local control plane and registry. Pushes three repositories
// (signed by a release workflow, signed with a cosign key and pinned, unsigned), runs the operator,
// deploys them, lets the baseline become established, then breaks its history with an unsigned
// and a differently signed image and shows the findings, the event and an acceptance; then enforces
// in a namespace: the release and the accepted hotfix are admitted, the branch build is denied.
// Stops and removes everything it started, also on failure or Ctrl-C. Helpers: hack/demo/.
import type { OperatorProcess } from '../test/e2e/harness/operator-process.ts';
import { installCrds } from '../test/e2e/harness/crds.ts';
import { observedPosture, runOperator, startEnvironment, stopAll, tail } from './demo/cluster.ts';
import type { Image } from './demo/images.ts';
import { workflow } from './demo/images.ts';
import { kubectlFor, note, say, waitFor } from './demo/terminal.ts';

const ESTABLISH_AFTER = 20; // seconds
const NS = 'demo';
const PAYMENTS = 'payments';

type Baseline = {
  metadata: { name: string };
  spec: { repository: string };
  status?: { established?: boolean };
};
type Finding = {
  metadata: { name: string };
  spec: { repository: string; kind: string };
  status?: { phase?: string; severity?: string };
};
type Pin = { metadata: { name: string }; status?: { matchedRepositories?: number } };

let operator: OperatorProcess | undefined;

async function demo(): Promise<void> {
  say('Starting a local Kubernetes control plane, an OCI registry and a private test Sigstore');
  const { cluster, registry, signing } = await startEnvironment();
  const k = kubectlFor(cluster.kubectl, cluster.kubeconfig);
  process.stdout.write(`Kubernetes ${cluster.version} at ${cluster.server}; registry at ${registry.host}\n`);
  await installCrds((args) => k.raw(args));
  await k.run(['create', 'namespace', 'signwarden-system']);
  await k.run(['create', 'namespace', NS]);
  await k.run(['create', 'namespace', PAYMENTS]);

  const repo = (name: string) => `${registry.host}/acme/${name}`;
  const short = (image: Image) => `acme/${image.repository.split('/').pop()}@${image.digest.slice(0, 19)}…`;
  const release = workflow('acme/api', 'release.yml', 'refs/tags/v1.0.0');
  say(`Pushing three repositories to ${registry.host}`);
  const [api, toolbox, scratch] = await Promise.all([
    signing.keyless('acme/api', release),
    signing.keySigned('acme/toolbox'),
    signing.unsigned('acme/scratch'),
  ]);
  process.stdout.write(
    `${short(api)}      signed keyless by ${release.subject}\n` +
      `${' '.repeat(short(api).length + 6)}issuer ${release.issuer}\n` +
      `${short(toolbox)}  signed with a cosign key pair (cosign sign --key cosign.key)\n` +
      `${short(scratch)}  not signed\n`,
  );

  say('Running the operator');
  const flags = [
    `--trusted-root=${signing.trustedRoot}`,
    `--insecure-registries=${registry.host}`,
    `--establish-after=${ESTABLISH_AFTER}s`,
  ];
  process.stdout.write(`$ signwarden run ${flags.join(' ')}\n`);
  note(
    `--trusted-root: the test Sigstore's root (the public-good root is built in)\n` +
      `--establish-after: baselines are established after ${ESTABLISH_AFTER} s here; 24 h by default`,
  );
  operator = await runOperator(cluster.kubeconfig, flags);
  const op = operator;

  say('Pinning acme/toolbox to its cosign public key');
  note(
    'A key signature names no signer: signwarden verifies it only with a key it is given. A SignaturePin\n' +
      'declares the key: the images it signs are KeySigned, and the repository is guarded from the first\n' +
      'minute, without trust-on-first-use: any other signer, or none, is a critical PinViolation.',
  );
  const pin = [
    'apiVersion: signwarden.dev/v1alpha1',
    'kind: SignaturePin',
    'metadata:',
    '  name: acme-toolbox',
    'spec:',
    '  repositories:',
    `    - ${repo('toolbox')}`,
    '  signers:',
    '    - key:',
    '        publicKey: |',
    ...signing.key.publicKeyPem
      .trimEnd()
      .split('\n')
      .map((line) => `          ${line}`),
    '',
  ].join('\n');
  await k.apply(pin);
  await waitFor('the pin to be Ready', 30, async () => {
    const ready = await k.run([
      'get',
      'pin',
      'acme-toolbox',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")]}',
    ]);
    if (!ready.includes('"status":"True"')) throw new Error(ready || 'no Ready condition yet');
  });

  say(`Deploying the three in namespace ${NS}`);
  for (const [name, image] of [
    ['api', api],
    ['toolbox', toolbox],
    ['scratch', scratch],
  ] as const)
    await k.show('create', 'deployment', name, '-n', NS, `--image=${image.ref}`);

  say('What signwarden learned');
  const expected = [
    [api, 'Signed'],
    [toolbox, 'KeySigned'],
    [scratch, 'Unsigned'],
  ] as const;
  await waitFor('the operator to judge the three images', 60, async () => {
    for (const [image] of expected) {
      const posture = observedPosture(op, image.digest);
      if (!posture || posture === 'Checking')
        throw new Error(`${short(image)}: ${posture ?? 'not judged yet'}`);
    }
    if (!(await baselineOf(k, repo('api')))) throw new Error('no baseline for acme/api yet');
    const pins = await k.items<Pin>('pin');
    if (pins.find((p) => p.metadata.name === 'acme-toolbox')?.status?.matchedRepositories !== 1)
      throw new Error('the pin matches no repository yet');
  });
  process.stdout.write('Postures, as the operator logs them ("msg":"observed"):\n');
  for (const [image, want] of expected) {
    const posture = observedPosture(op, image.digest);
    process.stdout.write(`  ${short(image).padEnd(34)} ${posture}\n`);
    if (posture !== want) throw new Error(`${short(image)} is ${posture}, expected ${want}`);
  }
  await k.show('get', 'sb,pin');
  note(
    'acme/api: a cold baseline, learned from its first verified signature (trust on first use); the\n' +
      '  release tag is collapsed (refs/tags/*), so the next release is the same signer.\n' +
      'acme/toolbox: KeySigned by the pinned key; the pin guards it, no baseline needed.\n' +
      'acme/scratch: never signed, nothing to regress against: nothing recorded, no finding.',
  );
  await k.show('get', 'drift');

  say(`Waiting for the baseline to be established (after ${ESTABLISH_AFTER} s here; 24 h by default)`);
  await waitFor('the acme/api baseline to be established', ESTABLISH_AFTER + 40, async () => {
    if (!(await baselineOf(k, repo('api')))?.status?.established)
      throw new Error('acme/api not established yet');
  });
  await k.show('get', 'sb');

  say('Breaking the history of acme/api: an unsigned image and one signed by someone else');
  const branch = workflow('acme/api', 'ci.yml', 'refs/heads/main');
  const [hotfix, canary] = await Promise.all([
    signing.unsigned('acme/api'),
    signing.keyless('acme/api', branch),
  ]);
  process.stdout.write(
    `${short(hotfix)}  not signed\n` +
      `${short(canary)}  signed keyless by ${branch.subject}\n` +
      `${' '.repeat(short(canary).length + 2)}(a branch build of another workflow, not the release workflow)\n`,
  );
  await k.show('create', 'deployment', 'api-hotfix', '-n', NS, `--image=${hotfix.ref}`);
  await k.show('create', 'deployment', 'api-canary', '-n', NS, `--image=${canary.ref}`);
  const findings = await waitFor('two findings for acme/api', 60, async () => {
    const found = (await k.items<Finding>('drift')).filter((f) => f.spec.repository === repo('api'));
    const unsigned = found.find((f) => f.spec.kind === 'Unsigned' && f.status?.phase === 'Open');
    const identity = found.find((f) => f.spec.kind === 'IdentityChanged' && f.status?.phase === 'Open');
    if (!unsigned || !identity)
      throw new Error(`findings so far: ${found.map((f) => f.spec.kind).join(', ')}`);
    return { unsigned, identity };
  });
  // Events go to every affected object (Deployment, ReplicaSet, Pod): the Deployments' are enough here.
  const events = [
    'get',
    'events',
    '-n',
    NS,
    '--field-selector',
    'reason=SigningDrift,involvedObject.kind=Deployment',
  ];
  await waitFor('the SigningDrift events on the two Deployments', 30, async () => {
    const names = (await k.run([...events, '-o', 'name'])).trim().split('\n').filter(Boolean);
    if (names.length < 2) throw new Error(`${names.length} event(s) so far`);
  });
  await k.show('get', 'sb,drift');
  note('Established history, so both are high severity; the new signer is not learned until accepted.');
  await k.show('get', 'drift', findings.identity.metadata.name, '-o', 'yaml');
  await k.show(...events);

  say('Accepting a finding');
  note(
    'The unsigned hotfix was built by hand and reviewed: accepting it admits this digest only (another\n' +
      'unsigned digest opens a new finding). The branch build stays open.',
  );
  await k.show(
    'annotate',
    'drift',
    findings.unsigned.metadata.name,
    'signwarden.dev/accept=hotfix built by hand, reviewed in INC-4711',
  );
  await waitFor('the finding to be Accepted', 30, async () => {
    const phase = await k.run([
      'get',
      'drift',
      findings.unsigned.metadata.name,
      '-o',
      'jsonpath={.status.phase}',
    ]);
    if (phase !== 'Accepted') throw new Error(`phase ${phase}`);
  });
  await k.show('get', 'drift');
  await k.show('get', 'drift', findings.unsigned.metadata.name, '-o', 'jsonpath={.status.acceptance}{"\\n"}');

  say(`Enforcing in namespace ${PAYMENTS}`);
  note(
    'The operator applied one ValidatingAdmissionPolicy at start; a namespace opts in with a label and\n' +
      'gets the precomputed verdicts. The API server decides: no webhook, and it keeps working while the\n' +
      'operator is down.',
  );
  await k.show('label', 'namespace', PAYMENTS, 'signwarden.dev/enforcement=deny');
  const runIn = (name: string, image: Image) => [
    'run',
    name,
    '-n',
    PAYMENTS,
    `--image=${image.ref}`,
    '--restart=Never',
  ];
  await waitFor(`the API server to enforce in ${PAYMENTS}`, 30, () =>
    k.run([...runIn('probe', api), '--dry-run=server']),
  );
  await k.show('get', 'swparams', '-n', PAYMENTS);
  await k.show(...runIn('api', api));
  await k.show(...runIn('api-hotfix', hotfix));
  note('The release image and the accepted hotfix are admitted. The branch build is denied:');
  await k.showRefused(...runIn('api-canary', canary));

  say('Stopping the operator (SIGTERM: finish work, release the lease, exit 0)');
  const code = await op.stop('SIGTERM');
  process.stdout.write(`operator exited with ${code}\n`);
  if (code !== 0) throw new Error(`the operator exited with ${code}:\n${tail(op)}`);
}

async function baselineOf(
  k: ReturnType<typeof kubectlFor>,
  repository: string,
): Promise<Baseline | undefined> {
  return (await k.items<Baseline>('sb')).find((b) => b.spec.repository === repository);
}

const started = Date.now();
try {
  await demo();
  await stopAll();
  say(
    `Done in ${Math.round((Date.now() - started) / 1000)} s: everything the demo started is stopped and removed.`,
  );
} catch (err) {
  process.stderr.write(`\nmake demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  if (operator) process.stderr.write(`--- last lines of the operator's log ---\n${tail(operator)}\n`);
  await stopAll();
  process.exitCode = 1;
}
