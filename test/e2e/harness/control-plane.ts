import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { binaries } from './binaries.ts';
import type { CertKey } from './pki.ts';
import { generatePki } from './pki.ts';
import { freePorts } from './ports.ts';
import type { GroupOptions } from './processes.ts';
import { ProcessGroup } from './processes.ts';

export type ControlPlane = {
  /** Directory holding the certificates, etcd's data, logs and pid files. */
  dir: string;
  /** Path of a kubeconfig for a cluster admin (group system:masters), certificates embedded. */
  kubeconfig: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** Path of the kubectl built with the control plane. */
  kubectl: string;
  /** Kubernetes version, e.g. v1.36.3. */
  version: string;
  /** The API server's audit log (JSON lines: Pod creations at Metadata level); '' without `audit`. */
  auditLog: string;
  stop(): Promise<void>;
};

// Enough to see what admission said about a Pod (warn mode's audit annotations), and little else.
const AUDIT_POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    { level: 'Metadata', verbs: ['create'], resources: [{ group: '', resources: ['pods'] }] },
    { level: 'None' },
  ],
};

// What runs Deployments, Jobs and the like down to (Pending) Pods, garbage-collects, reports on
// ValidatingAdmissionPolicies, and gives each namespace its default ServiceAccount and
// kube-root-ca.crt ConfigMap, which Pods need. Without a scheduler or kubelet no Pod ever runs, so
// node, volume, cloud and certificate-signing controllers would have nothing to do.
const controllers = [
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'daemonset-controller',
  'job-controller',
  'cronjob-controller',
  'ttl-after-finished-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'clusterrole-aggregation-controller',
  'endpoints-controller',
  'endpointslice-controller',
  'resourcequota-controller',
  'disruption-controller',
  'pod-garbage-collector-controller',
  'validatingadmissionpolicy-status-controller',
];

/**
 * Starts etcd, kube-apiserver and kube-controller-manager on loopback ports, and resolves once the
 * API server is ready and the controller manager has created the default ServiceAccount.
 */
export async function startControlPlane(
  opts: GroupOptions & {
    /** Write the audit log (the e2e tests read it); benches leave it off so it costs them nothing. */
    audit?: boolean;
  } = {},
): Promise<ControlPlane> {
  const bin = await binaries();
  const group = new ProcessGroup(opts);
  return group.up(async () => {
    const { dir } = group;
    const pki = await generatePki(join(dir, 'pki'));
    const [etcdPort, etcdPeerPort, apiserverPort] = await freePorts(3);

    const etcd = `http://127.0.0.1:${etcdPort}`;
    const etcdPeer = `http://127.0.0.1:${etcdPeerPort}`;
    await group.start('etcd', bin.etcd, [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcd}`,
      `--advertise-client-urls=${etcd}`,
      `--listen-peer-urls=${etcdPeer}`,
      `--initial-advertise-peer-urls=${etcdPeer}`,
      `--initial-cluster=default=${etcdPeer}`,
      '--unsafe-no-fsync', // a throwaway store: durability would only cost time
    ]);

    const server = `https://127.0.0.1:${apiserverPort}`;
    const auditPolicy = join(dir, 'audit-policy.yaml');
    const auditLog = join(dir, 'audit.log');
    if (opts.audit) await writeFile(auditPolicy, stringify(AUDIT_POLICY));
    await group.start('kube-apiserver', bin.kubeApiserver, [
      `--etcd-servers=${etcd}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiserverPort}`,
      `--tls-cert-file=${pki.apiserver.cert}`,
      `--tls-private-key-file=${pki.apiserver.key}`,
      `--client-ca-file=${pki.ca.cert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccount.pub}`,
      `--service-account-signing-key-file=${pki.serviceAccount.key}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      '--allow-privileged=true',
      ...(opts.audit ? [`--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`] : []),
    ]);
    const get = (path: string) => httpsGet(`${server}${path}`, pki.ca.cert, pki.admin);
    await group.waitFor(
      'kube-apiserver /readyz',
      async () => {
        const { status, body } = await get('/readyz');
        if (status !== 200) throw new Error(`status ${status}: ${body}`);
      },
      'kube-apiserver',
      120_000,
    );

    const kubeconfig = join(dir, 'kubeconfig');
    const controllerManagerKubeconfig = join(dir, 'kube-controller-manager.kubeconfig');
    await writeKubeconfig(kubeconfig, server, pki.ca.cert, pki.admin);
    await writeKubeconfig(controllerManagerKubeconfig, server, pki.ca.cert, pki.controllerManager);
    await group.start('kube-controller-manager', bin.kubeControllerManager, [
      `--kubeconfig=${controllerManagerKubeconfig}`,
      `--controllers=${controllers.join(',')}`,
      `--service-account-private-key-file=${pki.serviceAccount.key}`,
      `--root-ca-file=${pki.ca.cert}`,
      // Each controller acts as its own ServiceAccount in kube-system, to which the default RBAC
      // policy grants what that controller needs; the system:kube-controller-manager user itself
      // may not, for example, create ReplicaSets or Pods.
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      '--secure-port=0', // no metrics or health endpoint needed
    ]);
    await group.waitFor(
      'the default ServiceAccount',
      async () => {
        const { status, body } = await get('/api/v1/namespaces/default/serviceaccounts/default');
        if (status !== 200) throw new Error(`status ${status}: ${body}`);
      },
      'kube-controller-manager',
      60_000,
    );

    return {
      dir,
      kubeconfig,
      server,
      kubectl: bin.kubectl,
      version: bin.kubernetesVersion,
      auditLog: opts.audit ? auditLog : '',
      stop: () => group.stop(),
    };
  });
}

async function writeKubeconfig(path: string, server: string, ca: string, user: CertKey): Promise<void> {
  const base64 = async (file: string) => (await readFile(file)).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'signwarden', cluster: { server, 'certificate-authority-data': await base64(ca) } }],
    users: [
      {
        name: 'signwarden',
        user: {
          'client-certificate-data': await base64(user.cert),
          'client-key-data': await base64(user.key),
        },
      },
    ],
    contexts: [{ name: 'signwarden', context: { cluster: 'signwarden', user: 'signwarden' } }],
    'current-context': 'signwarden',
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}

async function httpsGet(url: string, ca: string, user: CertKey): Promise<{ status: number; body: string }> {
  const [caPem, cert, key] = await Promise.all([readFile(ca), readFile(user.cert), readFile(user.key)]);
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caPem, cert, key, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
