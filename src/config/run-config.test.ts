import { describe, expect, it } from 'vitest';
import { parseRunConfig } from './run-config.ts';

describe('parseRunConfig', () => {
  it('applies defaults', () => {
    const config = parseRunConfig([], {});
    expect(config).toMatchObject({
      namespace: 'signwarden-system',
      httpAddress: ':8080',
      logLevel: 'info',
      workers: 4,
      leaderElect: true,
      leaseDuration: 15_000,
      renewDeadline: 10_000,
      retryPeriod: 2_000,
      establishAfter: 24 * 3_600_000,
      maxBaselines: 4096,
      findingTtl: 72 * 3_600_000,
      maxFindings: 1000,
    });
    expect(config.kubeconfig).toBeUndefined();
    expect(config.identity).toMatch(/-[0-9a-f]{6}$/);
  });

  it('takes flags over environment over defaults', () => {
    const config = parseRunConfig(['--workers=8', '--lease-duration', '30s'], {
      SIGNWARDEN_WORKERS: '2',
      SIGNWARDEN_LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({ workers: 8, logLevel: 'debug', leaseDuration: 30_000 });
  });

  it.each([
    [
      ['--workers=0'],
      {},
      'invalid --workers (SIGNWARDEN_WORKERS): expected a whole number from 1 to 64, got "0"',
    ],
    [
      [],
      { SIGNWARDEN_LEASE_DURATION: 'soon' },
      'invalid --lease-duration (SIGNWARDEN_LEASE_DURATION): expected a duration',
    ],
    [['--leader-elect=yes'], {}, 'invalid --leader-elect (SIGNWARDEN_LEADER_ELECT)'],
    [['--log-level=loud'], {}, 'invalid --log-level (SIGNWARDEN_LOG_LEVEL)'],
    [['--namespace=Bad_NS'], {}, 'invalid --namespace (SIGNWARDEN_NAMESPACE): must be a DNS label'],
    [['--http-address=8080'], {}, 'invalid --http-address (SIGNWARDEN_HTTP_ADDRESS): expected host:port'],
    [
      ['--renew-deadline=20s'],
      {},
      'invalid --renew-deadline (SIGNWARDEN_RENEW_DEADLINE): must be less than --lease-duration',
    ],
    [['--retry-period=12s'], {}, 'invalid --retry-period'],
    [['--no-such-flag=1'], {}, "Unknown option '--no-such-flag'"],
    [['stray'], {}, "Unexpected argument 'stray'"],
  ])('rejects %j %j with a one-line reason', (argv, env, message) => {
    let error: unknown;
    try {
      parseRunConfig(argv, env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
