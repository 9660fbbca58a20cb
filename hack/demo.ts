// `make demo`: the product tour on a local control plane. Starts Kubernetes, installs the CRDs,
// runs the operator, applies the sample pins (one of which names a Secret that does not exist), and
// shows what a user sees with kubectl. Cleans up everything on the way out.
import { fileURLToPath } from 'node:url';
import { startControlPlane } from '../test/e2e/harness/control-plane.ts';
import { installCrds } from '../test/e2e/harness/crds.ts';
import { runKubectl } from '../test/e2e/harness/kubectl.ts';
import { startOperator } from '../test/e2e/harness/operator-process.ts';
import { eventually } from '../test/e2e/harness/poll.ts';

const path = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const say = (text: string) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);

say('Starting a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager)');
const cluster = await startControlPlane();
const kubectl = async (...args: string[]) => {
  const result = await runKubectl(cluster.kubectl, cluster.kubeconfig, args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout;
};
const show = async (...args: string[]) => {
  process.stdout.write(`$ kubectl ${args.join(' ')}\n${await kubectl(...args)}`);
};

try {
  process.stdout.write(`Kubernetes ${cluster.version} at ${cluster.server}\n`);

  say('Installing the signwarden CRDs');
  await installCrds((args) => runKubectl(cluster.kubectl, cluster.kubeconfig, args));
  await show('get', 'crd');
  await kubectl('create', 'namespace', 'signwarden-system');

  say('Running the operator (signwarden run)');
  const operator = await startOperator({
    kubeconfig: cluster.kubeconfig,
    identity: 'demo',
    namespace: 'signwarden-system',
  });
  await eventually(
    async () => {
      const ready = await operator.get('/readyz');
      if (ready.status !== 200) throw new Error(ready.body);
      process.stdout.write(`/readyz: ${ready.body}`);
    },
    { timeoutMs: 30_000 },
  );

  say('Applying the sample pins from config/samples');
  await show('apply', '-k', path('config/samples'));
  await eventually(
    async () => {
      const ready = await kubectl('get', 'pin', '-o', 'jsonpath={.items[*].status.conditions[0].status}');
      if (ready.split(' ').filter(Boolean).length !== 2) throw new Error('pins not reported yet');
    },
    { timeoutMs: 30_000 },
  );

  say('What a user sees');
  await show('get', 'sb,pin,drift,an');
  await show('get', 'pin', 'internal-tools', '-o', 'jsonpath={.status.conditions[0].message}{"\\n"}');
  await show('get', 'events', '-n', 'default', '--field-selector', 'reason=SecretNotFound');

  say('Stopping the operator (SIGTERM: finish work, release the lease, exit 0)');
  process.stdout.write(`operator exited with ${await operator.stop()}\n`);
} finally {
  await cluster.stop();
}
say('Done: everything the demo started is stopped and removed.');
