// Bad configuration ends `signwarden run` at once with one line naming the problem.
import { describe, expect, it } from 'vitest';
import { startOperator } from './harness/operator-process.ts';

describe('signwarden run with bad configuration', () => {
  it.each([
    [
      'an invalid flag value',
      ['--lease-duration=forever'],
      /^signwarden: invalid --lease-duration \(SIGNWARDEN_LEASE_DURATION\): expected a duration/,
    ],
    ['an unknown flag', ['--leeder-elect=true'], /^signwarden: Unknown option '--leeder-elect'/],
    [
      'an unreadable kubeconfig',
      ['--kubeconfig=/nonexistent/kubeconfig'],
      /^signwarden: cannot load kubeconfig \/nonexistent\/kubeconfig: ENOENT/,
    ],
  ])('%s: exit 2, one line, no stack trace', async (_, args, message) => {
    const op = await startOperator({
      kubeconfig: '/dev/null',
      identity: 'bad-config',
      namespace: 'default',
      args,
    });
    expect(await op.exited).toBe(2);
    const lines = op.logs().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(op.logs()).not.toMatch(/\n\s+at /);
  });
});
