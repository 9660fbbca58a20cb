// `signwarden render-policy`: prints the generated ValidatingAdmissionPolicy, its deny and warn
// bindings and the guard of the parameter objects, as YAML, for teams that commit them to git.
import { stringify } from 'yaml';
import { policySettings } from '../config/policy-settings.ts';
import { SettingError, parseSettings } from '../config/settings.ts';
import type { Setting } from '../config/settings.ts';
import { z } from 'zod';
import { generatePolicy } from '../core/enforcement/policy.ts';
import type { CommandIo } from './cli-files.ts';

const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label');

export const renderPolicySettings = {
  namespace: {
    flag: 'namespace',
    help: 'Namespace the operator runs in (excluded from enforcement by default).',
    schema: dnsLabel,
    default: 'signwarden-system',
  },
  ...policySettings,
} satisfies Record<string, Setting<unknown>>;

export function renderPolicyCommand(argv: string[], io: CommandIo): number {
  let values;
  try {
    values = parseSettings(renderPolicySettings, argv, process.env);
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    io.stderr(`signwarden render-policy: ${error.message}\n`);
    return 2;
  }
  const generated = generatePolicy({
    operatorNamespace: values.namespace,
    operatorServiceAccount: values.serviceAccount,
    ...(values.excludeNamespaces?.length ? { excludedNamespaces: values.excludeNamespaces } : {}),
    requireDigests: values.requireDigests,
  });
  const objects = [generated.policy, ...generated.bindings, generated.guard.policy, generated.guard.binding];
  io.stdout(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  return 0;
}
