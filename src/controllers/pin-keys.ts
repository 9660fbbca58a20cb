// The public keys of SignaturePins, as the pin controller read them (inline or from a Secret): the
// continuity controller matches key signers by their fingerprints, and the inventory verifies
// key-signed images with them (a key signature is only KeySigned with a key we were given).
import type { TrustedKey } from '../sigstore/public-key.ts';

export class PinKeys {
  /** Per pin, the key of each signer by index (undefined: keyless, or unreadable). */
  private readonly byPin = new Map<string, (TrustedKey | undefined)[]>();
  private readonly listeners: (() => void)[] = [];

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  set(pin: string, keys: (TrustedKey | undefined)[]): void {
    const before = this.byPin.get(pin)?.map((k) => k?.fingerprint);
    if (keys.length > 0) this.byPin.set(pin, keys);
    else this.byPin.delete(pin);
    const after = this.byPin.get(pin)?.map((k) => k?.fingerprint);
    if (JSON.stringify(before) !== JSON.stringify(after)) for (const listener of this.listeners) listener();
  }

  key(pin: string, index: number): TrustedKey | undefined {
    return this.byPin.get(pin)?.[index];
  }

  fingerprint(pin: string, index: number): string | undefined {
    return this.key(pin, index)?.fingerprint;
  }

  /** Every pinned key, once each. */
  all(): TrustedKey[] {
    const keys = new Map<string, TrustedKey>();
    for (const list of this.byPin.values()) for (const key of list) if (key) keys.set(key.fingerprint, key);
    return [...keys.values()];
  }
}
