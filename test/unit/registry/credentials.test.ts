import { describe, expect, it } from 'vitest';
import type { Credentials } from '../../../src/registry/credentials.ts';
import {
  anonymous,
  chainCredentialProviders,
  credentialKey,
  dockerConfigCredentials,
  parseDockerConfig,
} from '../../../src/registry/credentials.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('dockerConfigCredentials', () => {
  const config = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
      'ghcr.io': { username: 'gh', password: 'ghp_x' },
      'ghcr.io/acme': { auth: b64('acme:pass:with:colons') },
      'HTTPS://Registry.Example:5000/v2/': { auth: b64('r:p') },
      'token.example': { registrytoken: 'rt' },
      '*.wildcard.example': { auth: b64('w:w') },
      'bad-base64.example': { auth: '!!!' },
      'no-colon.example': { auth: b64('nocolon') },
      'empty.example': {},
      'not-an-object.example': 'x',
    },
  });
  const provider = dockerConfigCredentials(config);

  it.each<[string, string | undefined, Credentials | undefined]>([
    ['docker.io', 'library/nginx', { username: 'hubuser', password: 'hubpass' }],
    ['registry-1.docker.io', undefined, { username: 'hubuser', password: 'hubpass' }],
    ['index.docker.io', undefined, { username: 'hubuser', password: 'hubpass' }],
    ['ghcr.io', 'other/app', { username: 'gh', password: 'ghp_x' }],
    ['ghcr.io', undefined, { username: 'gh', password: 'ghp_x' }],
    ['ghcr.io', 'acme/app', { username: 'acme', password: 'pass:with:colons' }],
    ['ghcr.io', 'acme', { username: 'acme', password: 'pass:with:colons' }],
    ['ghcr.io', 'acmeco/app', { username: 'gh', password: 'ghp_x' }],
    ['registry.example:5000', 'x', { username: 'r', password: 'p' }],
    ['registry.example', 'x', undefined],
    ['token.example', 'x', { registryToken: 'rt' }],
    ['a.wildcard.example', 'x', undefined],
    ['bad-base64.example', 'x', undefined],
    ['no-colon.example', 'x', undefined],
    ['empty.example', 'x', undefined],
    ['quay.io', 'x', undefined],
  ])('%s %s', async (registry, repository, expected) => {
    expect(await provider(registry, repository)).toEqual(expected);
  });

  it('reads a legacy dockercfg (no "auths") and bytes', async () => {
    const legacy = Buffer.from(JSON.stringify({ 'quay.io': { auth: b64('q:p') } }));
    expect(await dockerConfigCredentials(legacy)('quay.io')).toEqual({ username: 'q', password: 'p' });
  });

  it.each(['not json', '[]', '"x"', '{"auths": 3}'])('rejects %j without echoing it', (contents) => {
    expect(() => parseDockerConfig(contents)).toThrow(/docker config/);
  });

  it('never puts a secret in its error', () => {
    expect(() => parseDockerConfig('{"auths": {"x": {"password": "hunter2"}')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') as unknown }),
    );
  });
});

describe('chainCredentialProviders', () => {
  it('answers with the first provider that has credentials', async () => {
    const pod = dockerConfigCredentials({ auths: { 'ghcr.io': { auth: b64('pod:1') } } });
    const serviceAccount = dockerConfigCredentials({
      auths: { 'ghcr.io': { auth: b64('sa:2') }, 'quay.io': { auth: b64('sa:3') } },
    });
    const chain = chainCredentialProviders(pod, serviceAccount, anonymous);
    expect(await chain('ghcr.io')).toEqual({ username: 'pod', password: '1' });
    expect(await chain('quay.io')).toEqual({ username: 'sa', password: '3' });
    expect(await chain('docker.io')).toBeUndefined();
  });
});

describe('credentialKey', () => {
  it.each([
    ['docker.io', 'docker.io'],
    ['Registry-1.Docker.io', 'docker.io'],
    ['registry.hub.docker.com', 'docker.io'],
    ['GHCR.io', 'ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
  ])('%s → %s', (registry, key) => {
    expect(credentialKey(registry)).toBe(key);
  });
});
