// What observing one image digest yields: its posture and, when verified, who signed it.
// Shared by the registry and Sigstore adapters, the observer, the continuity decisions and the CLI.
import type { Posture } from '../api/postures.ts';

/** Where a signature was found (DESIGN.md §3): a format change alone is never drift. */
export type SignatureLocation = 'ReferrersAPI' | 'ReferrersTag' | 'LegacySigTag';

/** Why a digest is `Checking`: the registry could not tell us yet. Never a resting state. */
export type CheckingReason =
  'Timeout' | 'AuthFailed' | 'RateLimited' | 'Unreachable' | 'TooLarge' | 'RegistryError';

export interface GithubClaims {
  workflowRepository?: string;
  workflowRef?: string;
  workflowTrigger?: string;
  workflowName?: string;
  workflowSha?: string;
}

export type VerifiedSigner =
  | { kind: 'Keyless'; identity: string; issuer: string; github?: GithubClaims }
  | { kind: 'Key'; fingerprint: string };

export interface Observation {
  /** The digest judged (the one deployed). */
  digest: string;
  posture: Posture;
  /** Verified signers (Signed and KeySigned only). */
  signers: VerifiedSigner[];
  /** Where the deciding signature was found. */
  location?: SignatureLocation;
  /** Which digest carried it: the digest itself, or the index / platform manifest of a multi-arch image. */
  signedDigest?: string;
  /** Set when the posture is Checking. */
  checkingReason?: CheckingReason;
  /** Human-readable detail for Checking, Invalid and Unverifiable; bounded, untrusted text escaped. */
  detail?: string;
}
