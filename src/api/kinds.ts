// Every kind signwarden serves, in the order the CRDs are listed.
import { attestedNodeKind } from './attested-node.ts';
import { driftFindingKind } from './drift-finding.ts';
import { enforcementParametersKind } from './enforcement-parameters.ts';
import type { KindDefinition } from './kind-definition.ts';
import { signaturePinKind } from './signature-pin.ts';
import { signingBaselineKind } from './signing-baseline.ts';

export const KINDS: readonly KindDefinition[] = [
  signingBaselineKind,
  signaturePinKind,
  driftFindingKind,
  attestedNodeKind,
  enforcementParametersKind,
];
