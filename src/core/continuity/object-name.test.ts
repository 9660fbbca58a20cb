import { describe, expect, it } from 'vitest';
import { objectName } from './object-name.ts';

const DNS_LABELISH = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('objectName', () => {
  it.each([
    ['ghcr.io/acme/api', /^ghcr-io-acme-api-[0-9a-f]{10}$/],
    ['docker.io/library/nginx', /^docker-io-library-nginx-[0-9a-f]{10}$/],
    ['localhost:5000/a/b', /^localhost-5000-a-b-[0-9a-f]{10}$/],
    ['registry.example/' + 'x/'.repeat(100) + 'app', /^[a-z0-9-]{1,40}-[0-9a-f]{10}$/],
    ['ghcr.io/acme/api\nUnsigned\nsha256:abc', /^[a-z0-9-]+-[0-9a-f]{10}$/],
    ['///', /^[0-9a-f]{10}$/],
  ])('%j → a valid, readable, stable name', (key, shape) => {
    const name = objectName(key);
    expect(name).toMatch(shape);
    expect(name).toMatch(DNS_LABELISH);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(objectName(key)).toBe(name);
  });

  it('takes the readable prefix from a label when given, the hash from the whole key', () => {
    const name = objectName(
      `ghcr.io/acme/api|Unsigned|sha256:${'0'.repeat(64)}`,
      'ghcr.io/acme/api Unsigned',
    );
    expect(name).toMatch(/^ghcr-io-acme-api-unsigned-[0-9a-f]{10}$/);
    expect(name).not.toBe(
      objectName(`ghcr.io/acme/api|Unsigned|sha256:${'1'.repeat(64)}`, 'ghcr.io/acme/api Unsigned'),
    );
  });

  it('keeps keys that slug alike apart', () => {
    expect(objectName('ghcr.io/acme/api')).not.toBe(objectName('ghcr.io/acme-api'));
  });
});
