// What makes a SignaturePin usable beyond what its CRD schema can say: regular expressions that
// compile and public keys that parse. Pure: the caller resolves Secret references first.
import { createPublicKey } from 'node:crypto';
import type { Signer } from '../api/signer.ts';
import { compileAnchored } from './anchored-pattern.ts';

export type KeySource = { pem: string } | { missing: string };

export interface PinProblem {
  reason: 'InvalidRegExp' | 'InvalidKey' | 'SecretNotFound';
  message: string;
}

/**
 * The first problem of a pin's signers, or undefined if every signer is usable. `keyOf` returns
 * the PEM of a key signer (inline, or read from its Secret) or why it could not be read.
 */
export function checkPinSigners(
  signers: readonly Signer[],
  keyOf: (signer: Signer, index: number) => KeySource,
): PinProblem | undefined {
  for (const [index, signer] of signers.entries()) {
    const where = `spec.signers[${index}]`;
    const pattern = signer.keyless?.subjectRegExp;
    if (pattern !== undefined) {
      const compiled = compileAnchored(pattern);
      if (!(compiled instanceof RegExp)) {
        return {
          reason: 'InvalidRegExp',
          message: `${where}.keyless.subjectRegExp does not compile: ${compiled.error}`,
        };
      }
    }
    if (signer.key) {
      const source = keyOf(signer, index);
      if ('missing' in source)
        return { reason: 'SecretNotFound', message: `${where}.key.secretRef: ${source.missing}` };
      try {
        createPublicKey(source.pem);
      } catch (error) {
        return {
          reason: 'InvalidKey',
          message: `${where}.key is not a PEM public key: ${(error as Error).message}`,
        };
      }
    }
  }
  return undefined;
}

/** A short description of what a pin selects, for `kubectl get pin`. */
export function selectorSummary(spec: {
  repositories?: string[];
  nodeSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
}): string {
  if (spec.repositories) {
    const [first, ...rest] = spec.repositories;
    return rest.length === 0 ? (first ?? '') : `${first} (+${rest.length})`;
  }
  const labels = Object.entries(spec.nodeSelector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const expressions = spec.nodeSelector?.matchExpressions?.length ?? 0;
  const text = [
    ...labels,
    ...(expressions ? [`${expressions} expression${expressions > 1 ? 's' : ''}`] : []),
  ].join(',');
  return `nodes: ${text || 'all'}`.slice(0, 256);
}
