// What the policy controller last found of the admission policy, for the status of every namespace's
// parameters: undefined until it has looked.
import { isDeepStrictEqual } from 'node:util';
import type { PolicyState } from '../core/enforcement/parameters-status.ts';

export class PolicyStatus {
  private state: PolicyState | undefined;
  private readonly listeners: (() => void)[] = [];

  get(): PolicyState | undefined {
    return this.state;
  }

  set(state: PolicyState): void {
    if (isDeepStrictEqual(state, this.state)) return;
    this.state = state;
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}
