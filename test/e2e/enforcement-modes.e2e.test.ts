// `--enforcement=parameters`, as a team that commits the policy to git runs it: the operator, with
// its own ServiceAccount and exactly the ClusterRole of config/rbac, applies no policy and says so
// (event, metric); once the output of `signwarden render-policy` is applied, the policy is ready and
// the operator — the one writer the guard lets through — keeps the parameters of labelled namespaces.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { installCrds } from './harness/crds.ts';
import { kubectl } from './harness/kubectl.ts';
import { operatorReady, startOperator } from './harness/operator-process.ts';
import type { OperatorProcess } from './harness/operator-process.ts';
import { eventually } from './harness/poll.ts';

const run = randomBytes(3).toString('hex');
const system = `modes-${run}-system`;
const enforced = `modes-${run}-deny`;
const role = `signwarden-modes-${run}`;
const WAIT = { timeoutMs: 60_000, intervalMs: 300 };
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CLUSTER_ROLE = fileURLToPath(new URL('../../config/rbac/cluster-role.yaml', import.meta.url));

const apply = async (objects: unknown[]) => {
  const got = await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  expect(got.code, got.stderr).toBe(0);
};
/** A field of the PolicyReady condition of the enforced namespace's parameters. */
const policyReady = async (field: 'status' | 'reason') =>
  (
    await kubectl([
      'get',
      'swparams',
      'signwarden-enforcement',
      '-n',
      enforced,
      '-o',
      `jsonpath={.status.conditions[?(@.type=="PolicyReady")].${field}}`,
    ])
  ).stdout;
const metric = async (op: OperatorProcess, pattern: RegExp) =>
  pattern.exec((await op.get('/metrics')).body)?.[1];

describe('--enforcement=parameters', () => {
  let dir: string;
  let op: OperatorProcess | undefined;

  beforeAll(async () => {
    await installCrds();
    dir = await mkdtemp(join(tmpdir(), 'signwarden-modes-'));
    for (const name of [system, enforced])
      expect((await kubectl(['create', 'namespace', name])).code).toBe(0);
    // The ClusterRole the manifests ship, under a name of this run, bound to a ServiceAccount.
    const clusterRole = parseAllDocuments(await readFile(CLUSTER_ROLE, 'utf8'))[0]!.toJS() as {
      metadata: { name: string };
    };
    clusterRole.metadata.name = role;
    await apply([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'signwarden', namespace: system } },
      clusterRole,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: 'signwarden', namespace: system }],
      },
    ]);
    // A kubeconfig that authenticates as that ServiceAccount.
    const token = await kubectl(['create', 'token', 'signwarden', '-n', system, '--duration=1h']);
    expect(token.code, token.stderr).toBe(0);
    const admin = await kubectl(['config', 'view', '--raw', '--minify', '-o', 'json']);
    const config = JSON.parse(admin.stdout) as { users: { name: string; user: unknown }[] };
    config.users = config.users.map((u) => ({ name: u.name, user: { token: token.stdout.trim() } }));
    await writeFile(join(dir, 'kubeconfig'), JSON.stringify(config));

    op = await startOperator({
      kubeconfig: join(dir, 'kubeconfig'),
      identity: `modes-${run}`,
      namespace: system,
      enforcement: 'parameters',
      args: ['--leader-elect=false'],
    });
    await operatorReady(op);
  });
  afterAll(async () => {
    await op?.stop('SIGKILL');
    await kubectl([
      'delete',
      'validatingadmissionpolicies,validatingadmissionpolicybindings',
      '-l',
      'app.kubernetes.io/managed-by=signwarden',
    ]);
    await kubectl(['delete', 'clusterrole,clusterrolebinding', role, '--ignore-not-found']);
    await kubectl(['delete', 'namespace', '--wait=false', system, enforced]);
    await rm(dir, { recursive: true, force: true });
  });

  it('applies no policy, and says it is missing', async () => {
    await eventually(async () => {
      // Events about a Namespace (cluster-scoped) live in `default`.
      const events = await kubectl([
        'get',
        'events',
        '-n',
        'default',
        '--field-selector',
        'reason=EnforcementPolicyMissing',
        '-o',
        'name',
      ]);
      expect(events.stdout.trim()).not.toBe('');
      expect(await metric(op!, /^signwarden_enforcement_policy_ready (\d+)$/m)).toBe('0');
    }, WAIT);
    // A namespace labelled meanwhile gets its parameters, whose status says the policy is missing.
    expect((await kubectl(['label', 'namespace', enforced, 'signwarden.dev/enforcement=deny'])).code).toBe(0);
    await eventually(async () => {
      expect(await policyReady('reason')).toBe('EnforcementPolicyMissing');
    }, WAIT);
    const policies = await kubectl([
      'get',
      'validatingadmissionpolicies',
      '-l',
      'app.kubernetes.io/managed-by=signwarden',
      '-o',
      'name',
    ]);
    expect(policies.stdout.trim()).toBe('');
  });

  it('is ready once the rendered policy is applied, and keeps the parameters as the one writer the guard admits', async () => {
    const rendered = spawnSync(process.execPath, [MAIN, 'render-policy', `--namespace=${system}`], {
      encoding: 'utf8',
    });
    expect(rendered.status, rendered.stderr).toBe(0);
    const applied = await kubectl(['apply', '-f', '-'], { input: rendered.stdout });
    expect(applied.code, applied.stderr).toBe(0);
    await eventually(async () => {
      expect(await metric(op!, /^signwarden_enforcement_policy_ready (\d+)$/m)).toBe('1');
    }, WAIT);
    await eventually(async () => {
      expect(await policyReady('status')).toBe('True');
      const bytes = await metric(
        op!,
        new RegExp(`^signwarden_enforcement_parameter_bytes\\{namespace="${enforced}"\\} (\\d+)$`, 'm'),
      );
      expect(bytes).toBeDefined();
      expect(
        await metric(op!, /^signwarden_enforcement_parameter_writes_total\{result="applied"\} (\d+)$/m),
      ).toBe('1');
    }, WAIT);
    expect(op!.logs()).not.toContain('"level":"error"');
    // A Pod of a repository nobody guards is admitted by the parameters the operator wrote, once the
    // API server has taken them up.
    await eventually(async () => {
      const pod = await kubectl([
        'run',
        'probe',
        '-n',
        enforced,
        '--image=ghcr.io/someone/new:1',
        '--restart=Never',
        '--dry-run=server',
      ]);
      expect(pod.code, pod.stderr).toBe(0);
    }, WAIT);
  });
});
