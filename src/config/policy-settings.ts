// Settings of the generated admission policy, shared by `signwarden run` and `render-policy` so
// that a policy committed to git and one the operator applies agree.
import { z } from 'zod';
import { boolean, list } from './settings.ts';
import type { Setting } from './settings.ts';

export const policySettings = {
  serviceAccount: {
    flag: 'service-account',
    help: "The operator's ServiceAccount: the only writer of the parameter objects (when running, the user name the API server reports for the operator's credentials is used instead).",
    schema: z.string().min(1).max(253),
    default: 'signwarden',
  },
  excludeNamespaces: {
    flag: 'exclude-namespaces',
    help: 'Comma-separated namespaces never enforced (default: the operator namespace and kube-system).',
    schema: list(63),
  },
  requireDigests: {
    flag: 'require-digests',
    help: 'Deny every tag reference into a guarded repository (true or false).',
    schema: boolean,
    default: 'false',
  },
} satisfies Record<string, Setting<unknown>>;
