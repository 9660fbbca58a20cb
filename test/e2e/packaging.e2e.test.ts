// The deployment manifests in config/ render with kustomize and are accepted by a real API server.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { installCrds } from './harness/crds.ts';
import { kubectl } from './harness/kubectl.ts';

const config = (dir: string) => fileURLToPath(new URL(`../../config/${dir}`, import.meta.url));

describe('config/ (kustomize)', () => {
  beforeAll(() => installCrds());

  it('config/default renders the CRDs, least-privilege RBAC and a probed Deployment with a PDB', async () => {
    const rendered = await kubectl(['kustomize', config('default')]);
    expect(rendered.code).toBe(0);
    const objects = parseAllDocuments(rendered.stdout).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string } },
    );
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/signwarden',
        'ClusterRoleBinding/signwarden',
        'CustomResourceDefinition/attestednodes.signwarden.dev',
        'CustomResourceDefinition/driftfindings.signwarden.dev',
        'CustomResourceDefinition/enforcementparameters.signwarden.dev',
        'CustomResourceDefinition/signaturepins.signwarden.dev',
        'CustomResourceDefinition/signingbaselines.signwarden.dev',
        'Deployment/signwarden',
        'Namespace/signwarden-system',
        'PodDisruptionBudget/signwarden',
        'Role/signwarden-leader-election',
        'RoleBinding/signwarden-leader-election',
        'ServiceAccount/signwarden',
      ].sort(),
    );
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        template: {
          spec: { containers: { livenessProbe: unknown; readinessProbe: unknown; resources: unknown }[] };
        };
      };
    };
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.livenessProbe).toBeDefined();
    expect(container.readinessProbe).toBeDefined();
    expect(container.resources).toBeDefined();
  });

  it('the rendered objects and the samples apply to the API server (--dry-run=server)', async () => {
    // Namespaced objects need their namespace to exist for a server-side dry run.
    await kubectl(['create', 'namespace', 'signwarden-system', '--save-config']);
    const applied = await kubectl(['apply', '--dry-run=server', '-k', config('default')]);
    expect(applied.stderr).not.toMatch(/error/i);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('deployment.apps/signwarden created (server dry run)');
    const samples = await kubectl(['apply', '--dry-run=server', '-k', config('samples')]);
    expect(samples.stderr).not.toMatch(/error/i);
    expect(samples.stdout).toContain('signaturepin.signwarden.dev/acme-release created (server dry run)');
  });

  it('signwarden render-policy prints objects the API server accepts (--dry-run=server)', async () => {
    const rendered = spawnSync(
      process.execPath,
      [fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), 'render-policy'],
      {
        encoding: 'utf8',
      },
    );
    expect(rendered.status).toBe(0);
    const applied = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: rendered.stdout });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('validatingadmissionpolicy.admissionregistration.k8s.io/');
    expect(applied.stdout.match(/created \(server dry run\)/g)).toHaveLength(5);
  });
});
