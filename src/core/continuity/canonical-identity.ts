// A keyless signer's identity as continuity compares it. Only the release-tag value of a GitHub
// Actions workflow ref is collapsed (`…/release.yml@refs/tags/v1.2` → `…/release.yml@refs/tags/*`):
// every release is signed by "the release workflow on a tag". Branches, pull-request refs, other
// workflow files, other repositories and forks keep their full identity, so a signature from a
// feature branch or a fork is a different signer.
const GITHUB_WORKFLOW_TAG =
  /^(https:\/\/github\.com\/[^/@]+\/[^/@]+\/\.github\/workflows\/[^@]+@refs\/tags\/)[^@]+$/;

export function canonicalIdentity(san: string): string {
  const match = GITHUB_WORKFLOW_TAG.exec(san);
  return match ? `${match[1]}*` : san;
}
