// Settings of `signwarden run`, validated before anything starts.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SettingError, boolean, duration, integer, list, parseSettings } from './settings.ts';
import type { Setting } from './settings.ts';
import { policySettings } from './policy-settings.ts';

const text = (max: number) => z.string().min(1).max(max);

export const runSettings = {
  kubeconfig: {
    flag: 'kubeconfig',
    help: 'Path to a kubeconfig file; without it, the in-cluster service account (or $KUBECONFIG).',
    schema: text(4096),
  },
  namespace: {
    flag: 'namespace',
    help: 'Namespace the operator runs in; its leader Lease lives there.',
    schema: text(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label'),
    default: 'signwarden-system',
  },
  identity: {
    flag: 'identity',
    help: 'Name of this replica in the leader lease (defaults to the host name plus a random suffix).',
    schema: text(128),
  },
  httpAddress: {
    flag: 'http-address',
    help: 'host:port serving /healthz, /readyz and /metrics.',
    schema: text(256).regex(
      /^(\[[0-9a-fA-F:]+\]|[^:]*):\d{1,5}$/,
      'expected host:port, such as :8080 or 127.0.0.1:8080',
    ),
    default: ':8080',
  },
  logLevel: {
    flag: 'log-level',
    help: 'Lowest level logged: debug, info, warn or error.',
    schema: z.enum(['debug', 'info', 'warn', 'error']),
    default: 'info',
  },
  workers: {
    flag: 'workers',
    help: 'Concurrent reconciles per controller.',
    schema: integer(1, 64),
    default: '4',
  },
  leaderElect: {
    flag: 'leader-elect',
    help: 'Elect a leader through a Lease so that only one replica writes (true or false).',
    schema: boolean,
    default: 'true',
  },
  leaseName: {
    flag: 'lease-name',
    help: 'Name of the leader Lease.',
    schema: text(253),
    default: 'signwarden-leader',
  },
  leaseDuration: {
    flag: 'lease-duration',
    help: 'How long followers wait, after the last renewal they saw, before taking over.',
    schema: duration(1000),
    default: '15s',
  },
  renewDeadline: {
    flag: 'renew-deadline',
    help: 'How long a leader keeps trying to renew before it steps down; less than --lease-duration.',
    schema: duration(500),
    default: '10s',
  },
  retryPeriod: {
    flag: 'retry-period',
    help: 'How often replicas try to acquire or renew the lease.',
    schema: duration(100),
    default: '2s',
  },
  trustedRoot: {
    flag: 'trusted-root',
    help: 'A Sigstore trusted_root.json (private Sigstore, air-gapped mirror); without it, the embedded public-good root.',
    schema: text(4096),
  },
  insecureRegistries: {
    flag: 'insecure-registries',
    help: 'Comma-separated registries (host:port) reached over plain HTTP.',
    schema: list(253),
    default: '',
  },
  registrySecrets: {
    flag: 'registry-secrets',
    help: 'Comma-separated namespace/name of dockerconfigjson Secrets tried after the pull secrets of a pod.',
    schema: list(317).pipe(
      z.array(z.string().regex(/^[a-z0-9-]{1,63}\/[a-z0-9.-]{1,253}$/, 'expected namespace/name')),
    ),
    default: '',
  },
  registryConcurrency: {
    flag: 'registry-concurrency',
    help: 'Requests in flight to one registry at most (token requests included).',
    schema: integer(1, 256),
    default: '16',
  },
  postureTtl: {
    flag: 'posture-ttl',
    help: 'How long a resting posture is reused before the digest is judged again (new signatures are noticed).',
    schema: duration(1000),
    default: '10m',
  },
  maxDigests: {
    flag: 'max-digests',
    help: 'How many judged digests are kept in memory at most.',
    schema: integer(100, 1_000_000),
    default: '20000',
  },
  verifyConcurrency: {
    flag: 'verify-concurrency',
    help: 'How many digests are judged at once.',
    schema: integer(1, 256),
    default: '16',
  },
  establishAfter: {
    flag: 'establish-after',
    help: 'Wall-clock age after which a SigningBaseline is established: its drifts are high severity and its signers are no longer widened without acceptance.',
    schema: duration(1000),
    default: '24h',
  },
  maxBaselines: {
    flag: 'max-baselines',
    help: 'How many SigningBaselines exist at most; over it, cold ones are evicted, least recently seen first.',
    schema: integer(1, 1_000_000),
    default: '4096',
  },
  findingTtl: {
    flag: 'finding-ttl',
    help: 'How long a resolved DriftFinding is kept before it is deleted.',
    schema: duration(1000),
    default: '72h',
  },
  maxFindings: {
    flag: 'max-findings',
    help: 'How many DriftFindings exist at most; over it, the oldest resolved ones are deleted first.',
    schema: integer(1, 100_000),
    default: '1000',
  },
  tagWatch: {
    flag: 'tag-watch',
    help: 'List the tags of guarded repositories (established baselines, pins) in their registries and judge newly pushed digests before anything runs them (true or false).',
    schema: boolean,
    default: 'true',
  },
  tagWatchInterval: {
    flag: 'tag-watch-interval',
    help: 'How often each guarded repository is listed again.',
    schema: duration(1000),
    default: '5m',
  },
  tagWatchMaxTags: {
    flag: 'tag-watch-max-tags',
    help: 'Tags followed per repository at most (latest, then the highest versions).',
    schema: integer(1, 10_000),
    default: '200',
  },
  tagWatchRate: {
    flag: 'tag-watch-rate',
    help: 'Requests per second, per registry, the tag watcher makes at most.',
    schema: integer(1, 1_000),
    default: '5',
  },
  enforcement: {
    flag: 'enforcement',
    help: 'manage: apply the admission policy and its bindings and keep the parameters of enforced namespaces; parameters: keep only the parameters (the policy comes from render-policy, e.g. through git); off: neither.',
    schema: z.enum(['manage', 'parameters', 'off']),
    default: 'manage',
  },
  ...policySettings,
} satisfies Record<string, Setting<unknown>>;

export type RunConfig = ReturnType<typeof parseRunConfig>;

export function parseRunConfig(argv: string[], env: NodeJS.ProcessEnv) {
  const values = parseSettings(runSettings, argv, env);
  if (values.renewDeadline >= values.leaseDuration) {
    throw new SettingError(
      'invalid --renew-deadline (SIGNWARDEN_RENEW_DEADLINE): must be less than --lease-duration',
    );
  }
  if (values.retryPeriod >= values.renewDeadline) {
    throw new SettingError(
      'invalid --retry-period (SIGNWARDEN_RETRY_PERIOD): must be less than --renew-deadline',
    );
  }
  return {
    ...values,
    identity: values.identity ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
  };
}
