import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderPolicyCommand } from './render-policy.ts';

const run = (argv: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = renderPolicyCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
};

describe('signwarden render-policy', () => {
  it('prints the policy, its deny and warn bindings and the parameter guard as YAML', () => {
    const { code, stdout } = run([]);
    expect(code).toBe(0);
    const objects = parseAllDocuments(stdout).map(
      (d) => d.toJS() as { kind: string; spec: Record<string, unknown> },
    );
    expect(objects.map((o) => o.kind)).toEqual([
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'ValidatingAdmissionPolicyBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    expect(objects.slice(1, 3).map((b) => b.spec.validationActions)).toEqual([['Deny'], ['Warn', 'Audit']]);
    expect(objects[0]?.spec.failurePolicy).toBe('Fail');
    expect(stdout).toContain('signwarden-system');
    expect(stdout).toContain('kube-system');
  });

  it('takes the operator namespace and the excluded namespaces', () => {
    const { stdout } = run(['--namespace=sec', '--exclude-namespaces=sec,infra']);
    expect(stdout).toContain('infra');
    expect(stdout).not.toContain('signwarden-system');
  });

  it('refuses a bad flag with one line and exit 2', () => {
    const { code, stderr } = run(['--require-digests=maybe']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^signwarden render-policy: invalid --require-digests \(SIGNWARDEN_REQUIRE_DIGESTS\)/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
