// The CRDs as users meet them: kubectl get columns, kubectl explain, and the API server rejecting
// invalid objects with a clear message.
import { beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from './harness/crds.ts';
import { kubectl } from './harness/kubectl.ts';

const pin = (name: string, spec: unknown) =>
  JSON.stringify({ apiVersion: 'signwarden.dev/v1alpha1', kind: 'SignaturePin', metadata: { name }, spec });
const keyless = {
  keyless: {
    issuer: 'https://token.actions.githubusercontent.com',
    subject: 'https://github.com/acme/api/.github/workflows/release.yml@refs/tags/v1',
  },
};

describe('CRDs', () => {
  beforeAll(() => installCrds());

  it.each([
    ['sb', ['NAME', 'REPOSITORY', 'SIGNERS', 'ESTABLISHED', 'CORROBORATION', 'LAST SEEN', 'AGE']],
    ['pin', ['NAME', 'SELECTS', 'MATCHED', 'READY', 'AGE']],
    ['drift', ['NAME', 'REPOSITORY', 'KIND', 'SEVERITY', 'PHASE', 'DIGEST', 'AGE']],
    ['an', ['NAME', 'NODE', 'MEASUREMENT', 'VERDICT', 'SIGNER', 'AGE']],
  ])('kubectl get %s prints its columns', async (shortName, columns) => {
    const name = `columns-${shortName}`;
    const objects: Record<string, unknown> = {
      sb: { kind: 'SigningBaseline', spec: { repository: 'ghcr.io/acme/api' } },
      pin: { kind: 'SignaturePin', spec: { repositories: ['ghcr.io/acme/*'], signers: [keyless] } },
      drift: {
        kind: 'DriftFinding',
        spec: { repository: 'ghcr.io/acme/api', kind: 'Unsigned', subject: 'sha256:' + 'a'.repeat(64) },
      },
      an: {
        kind: 'AttestedNode',
        spec: { nodeName: 'node-1', measurement: { algorithm: 'sha384', digest: 'b'.repeat(96) } },
      },
    };
    const body = {
      apiVersion: 'signwarden.dev/v1alpha1',
      metadata: { name },
      ...(objects[shortName] as object),
    };
    expect((await kubectl(['apply', '-f', '-'], { input: JSON.stringify(body) })).code).toBe(0);
    const got = await kubectl(['get', shortName, name]);
    expect(got.code).toBe(0);
    const header = got.stdout
      .split('\n')[0]!
      .trim()
      .split(/\s{2,}/);
    expect(header).toEqual(columns);
    expect(got.stdout).toContain(name);
    await kubectl(['delete', shortName, name]);
  });

  it('kubectl get sb,pin,drift,an works on an empty cluster', async () => {
    const got = await kubectl(['get', 'sb,pin,drift,an']);
    expect(got.code).toBe(0);
  });

  it('kubectl explain prints the schema descriptions', async () => {
    const explained = await kubectl(['explain', 'signaturepin.spec']);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('What the pin selects and which signers it accepts.');
    expect(explained.stdout).toContain('Acceptable signers; any other signer is a PinViolation.');
    const signer = await kubectl(['explain', 'signaturepin.spec.signers.keyless.subjectRegExp']);
    expect(signer.stdout).toContain('anchored at both ends');
  });

  it.each([
    [
      'a pin that selects nothing',
      pin('selects-nothing', { signers: [keyless] }),
      'a pin selects either repositories or nodes',
    ],
    [
      'a pin that selects both repositories and nodes',
      pin('selects-both', { repositories: ['a/*'], nodeSelector: {}, signers: [keyless] }),
      'a pin selects either repositories or nodes',
    ],
    [
      'a signer that is neither keyless nor a key',
      pin('no-signer-kind', { repositories: ['a/*'], signers: [{}] }),
      'a signer is either keyless or a key',
    ],
    [
      'a keyless signer without a subject',
      pin('no-subject', { repositories: ['a/*'], signers: [{ keyless: { issuer: 'https://x' } }] }),
      'a keyless signer needs exactly one of subject or subjectRegExp',
    ],
    [
      'a key signer with both an inline key and a Secret',
      pin('two-keys', {
        repositories: ['a/*'],
        signers: [{ key: { publicKey: 'x', secretRef: { namespace: 'a', name: 'b', key: 'c' } } }],
      }),
      'a key signer needs exactly one of publicKey or secretRef',
    ],
    [
      'an oversize list',
      pin('too-many', { repositories: Array.from({ length: 65 }, (_, i) => `r/${i}`), signers: [keyless] }),
      'spec.repositories: Too many: 65: must have at most 64 items',
    ],
    [
      'a pin with no signers',
      pin('no-signers', { repositories: ['a/*'], signers: [] }),
      'spec.signers: Invalid value: 0: spec.signers in body should have at least 1 items',
    ],
    [
      'an unknown enum value',
      JSON.stringify({
        apiVersion: 'signwarden.dev/v1alpha1',
        kind: 'AttestedNode',
        metadata: { name: 'bad-algorithm' },
        spec: { nodeName: 'n', measurement: { algorithm: 'md5', digest: 'ab' } },
      }),
      'spec.measurement.algorithm: Unsupported value: "md5"',
    ],
    [
      'a measurement of the wrong length',
      JSON.stringify({
        apiVersion: 'signwarden.dev/v1alpha1',
        kind: 'AttestedNode',
        metadata: { name: 'bad-length' },
        spec: { nodeName: 'n', measurement: { algorithm: 'sha384', digest: 'ab' } },
      }),
      'digest length does not match the algorithm',
    ],
    [
      'an oversize string',
      pin('long-description', { repositories: ['a/*'], signers: [keyless], description: 'x'.repeat(1025) }),
      'spec.description: Too long: may not be more than 1024 bytes',
    ],
  ])('rejects %s', async (_, manifest, message) => {
    const result = await kubectl(['apply', '-f', '-'], { input: manifest });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it('keeps a finding identity immutable', async () => {
    const finding = (subject: string) =>
      JSON.stringify({
        apiVersion: 'signwarden.dev/v1alpha1',
        kind: 'DriftFinding',
        metadata: { name: 'immutable' },
        spec: { repository: 'ghcr.io/acme/api', kind: 'Unsigned', subject },
      });
    expect((await kubectl(['apply', '-f', '-'], { input: finding('sha256:' + '1'.repeat(64)) })).code).toBe(
      0,
    );
    const changed = await kubectl(['apply', '-f', '-'], { input: finding('sha256:' + '2'.repeat(64)) });
    expect(changed.stderr).toContain('is immutable');
    await kubectl(['delete', 'drift', 'immutable']);
  });
});
