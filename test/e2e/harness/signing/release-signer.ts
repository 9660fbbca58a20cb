// The keyless signer the e2e tests sign as by default: a GitHub Actions release workflow, with the
// workflow claims Fulcio puts in its certificates.
export const releaseWorkflow = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
export const githubIssuer = 'https://token.actions.githubusercontent.com';

export const releaseSigner = {
  subject: releaseWorkflow,
  issuer: githubIssuer,
  github: {
    trigger: 'push',
    sha: 'a'.repeat(40),
    workflowName: 'release',
    repository: 'acme/app',
    ref: 'refs/heads/main',
  },
};
