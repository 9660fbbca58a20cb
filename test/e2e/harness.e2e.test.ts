import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { kubectl } from './harness/kubectl.ts';
import { digestOf, mediaTypes, pushBlob, pushManifest } from './harness/oci.ts';
import { eventually } from './harness/poll.ts';
import { startRegistry } from './harness/registry.ts';

// The harness itself: a real control plane (API server, etcd, controller manager) and a real registry.

const namespaces: string[] = [];
afterAll(async () => {
  if (namespaces.length) await kubectl(['delete', 'namespace', '--wait=false', ...namespaces]);
});

async function freshNamespace(): Promise<string> {
  const name = `harness-${randomBytes(4).toString('hex')}`;
  const created = await kubectl(['create', 'namespace', name]);
  expect(created.code, created.stderr).toBe(0);
  namespaces.push(name);
  return name;
}

async function getItems(kind: string, namespace: string): Promise<unknown[]> {
  const got = await kubectl(['get', kind, '--namespace', namespace, '--output=json']);
  expect(got.code, got.stderr).toBe(0);
  return (JSON.parse(got.stdout) as { items: unknown[] }).items;
}

describe('control plane', () => {
  it('runs the Kubernetes version kubectl was built at', async () => {
    const { stdout, stderr, code } = await kubectl(['version', '--output=json']);
    expect(code, stderr).toBe(0);
    const version = JSON.parse(stdout) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe(inject('kubernetesVersion'));
    expect(version.clientVersion.gitVersion).toBe(inject('kubernetesVersion'));
  });

  it('runs the controller manager: a Deployment gets a ReplicaSet and a Pod, which stays Pending', async () => {
    const namespace = await freshNamespace();
    const image = `registry.invalid/app@sha256:${'0'.repeat(64)}`;
    const applied = await kubectl(['apply', '--namespace', namespace, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'app' },
        spec: {
          selector: { matchLabels: { app: 'app' } },
          template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'app', image }] } },
        },
      }),
    });
    expect(applied.code, applied.stderr).toBe(0);

    await eventually(async () => expect(await getItems('replicasets', namespace)).toHaveLength(1), {
      timeoutMs: 30_000,
    });
    const pods = await eventually(
      async () => {
        const items = await getItems('pods', namespace);
        expect(items).toHaveLength(1);
        return items as { spec: { containers: { image: string }[] }; status: { phase: string } }[];
      },
      { timeoutMs: 30_000 },
    );
    expect(pods[0]?.spec.containers[0]?.image).toBe(image);
    expect(pods[0]?.status.phase).toBe('Pending'); // no scheduler, no kubelet
  });

  it('enforces a ValidatingAdmissionPolicy', async () => {
    const namespace = await freshNamespace();
    const name = `deny-forbidden-key-${namespace}`;
    const policy = [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: [''],
                apiVersions: ['v1'],
                operations: ['CREATE', 'UPDATE'],
                resources: ['configmaps'],
              },
            ],
          },
          validations: [
            {
              expression: "!has(object.data) || !('forbidden' in object.data)",
              message: 'the data key "forbidden" is forbidden',
            },
          ],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name },
        spec: {
          policyName: name,
          validationActions: ['Deny'],
          // Only this test's namespace, so that other tests are not affected.
          matchResources: {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
          },
        },
      },
    ];
    const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: policy });
    const applied = await kubectl(['apply', '-f', '-'], { input });
    expect(applied.code, applied.stderr).toBe(0);
    try {
      const create = (key: string, ...flags: string[]) =>
        kubectl(['create', 'configmap', key, `--from-literal=${key}=x`, '--namespace', namespace, ...flags]);
      // The API server loads new policies asynchronously; a dry run creates nothing while waiting.
      await eventually(
        async () => {
          const denied = await create('forbidden', '--dry-run=server');
          expect(denied.code).not.toBe(0);
          expect(denied.stderr).toContain('the data key "forbidden" is forbidden');
        },
        { timeoutMs: 30_000 },
      );
      const denied = await create('forbidden');
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/ValidatingAdmissionPolicy .* denied request/);
      const allowed = await create('fine');
      expect(allowed.code, allowed.stderr).toBe(0);
    } finally {
      await kubectl(['delete', '-f', '-'], { input });
    }
  });
});

describe('registry', () => {
  const url = `http://${inject('registryHost')}`;

  it('stores an artifact whose subject is an image, but has no referrers API: clients fall back to the tag', async () => {
    const repo = `harness/referrers-${randomBytes(4).toString('hex')}`;
    const config = await pushBlob(url, repo, mediaTypes.empty, '{}');
    const layer = await pushBlob(url, repo, 'application/vnd.oci.image.layer.v1.tar', 'not really a tarball');
    const image = await pushManifest(url, repo, {
      schemaVersion: 2,
      mediaType: mediaTypes.manifest,
      config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers: [layer],
    });
    const signature = await pushManifest(url, repo, {
      schemaVersion: 2,
      mediaType: mediaTypes.manifest,
      artifactType: 'application/vnd.example.signature',
      config,
      layers: [await pushBlob(url, repo, 'application/vnd.example.signature', 'a signature')],
      subject: image,
    });

    const stored = await fetch(`${url}/v2/${repo}/manifests/${signature.digest}`, {
      headers: { accept: mediaTypes.manifest },
    });
    expect(digestOf(new Uint8Array(await stored.arrayBuffer()))).toBe(signature.digest);

    // distribution v3.1.2 does not implement GET /v2/<name>/referrers/<digest> (distribution PR
    // #4828 would add it). The OCI distribution spec has clients then keep the referrers list in an
    // index tagged <alg>-<hex> of the subject's digest instead.
    const referrers = await fetch(`${url}/v2/${repo}/referrers/${image.digest}`);
    expect(referrers.status).toBe(404);
    const fallbackTag = image.digest.replace(':', '-');
    await pushManifest(
      url,
      repo,
      { schemaVersion: 2, mediaType: mediaTypes.index, manifests: [signature] },
      fallbackTag,
    );
    const index = await fetch(`${url}/v2/${repo}/manifests/${fallbackTag}`, {
      headers: { accept: mediaTypes.index },
    });
    expect(index.status).toBe(200);
    expect(await index.json()).toMatchObject({ manifests: [signature] });
  });

  it('can require basic authentication', async () => {
    const auth = { username: 'signwarden', password: randomBytes(8).toString('hex') };
    const registry = await startRegistry({ auth });
    try {
      const basic = (password: string) => ({
        authorization: `Basic ${Buffer.from(`${auth.username}:${password}`).toString('base64')}`,
      });
      const anonymous = await fetch(`${registry.url}/v2/`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect((await fetch(`${registry.url}/v2/`, { headers: basic('wrong') })).status).toBe(401);
      expect((await fetch(`${registry.url}/v2/`, { headers: basic(auth.password) })).status).toBe(200);
    } finally {
      await registry.stop();
    }
  });
});
