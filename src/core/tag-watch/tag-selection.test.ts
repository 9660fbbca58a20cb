import { describe, expect, it } from 'vitest';
import { isArtifactTag, naturalCompare, selectTags } from './tag-selection.ts';

const HEX = 'ab'.repeat(32);

describe('isArtifactTag', () => {
  it.each<[string, boolean]>([
    [`sha256-${HEX}`, true],
    [`sha256-${HEX}.sig`, true],
    [`sha256-${HEX}.att`, true],
    [`sha256-${HEX}.sbom`, true],
    [`sha512-${HEX}${HEX}.sig`, true],
    [`sha256-${HEX}.tar`, false],
    ['sha256-abc', false],
    [`SHA256-${HEX}`, false],
    ['v1.2.3', false],
    ['latest', false],
  ])('%s → %s', (tag, expected) => {
    expect(isArtifactTag(tag)).toBe(expected);
  });
});

describe('naturalCompare', () => {
  it.each<[string, string, number]>([
    ['v1.9.0', 'v1.10.0', -1],
    ['v1.10.0', 'v1.9.0', 1],
    ['v2', 'v10', -1],
    ['007', '7', -1],
    ['7', '007', 1],
    ['a', 'b', -1],
    ['v1', 'v1.0', -1],
    ['v1.0.0', 'v1.0.0-rc1', -1],
    ['1.2', '1.2', 0],
    ['99999999999999999999', '100000000000000000000', -1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(naturalCompare(a, b))).toBe(sign);
  });
});

describe('selectTags', () => {
  it.each<[string, string[], number, string[], number]>([
    ['keeps everything under the cap, latest first', ['a', 'latest', 'b'], 10, ['latest', 'b', 'a'], 0],
    [
      'keeps the newest releases over the cap',
      ['v1.2.0', 'v1.10.0', 'v1.9.1', 'latest'],
      3,
      ['latest', 'v1.10.0', 'v1.9.1'],
      1,
    ],
    ['drops signature and attestation tags', [`sha256-${HEX}.sig`, `sha256-${HEX}`, 'v1'], 1, ['v1'], 0],
    ['drops duplicates', ['v1', 'v1', 'v2'], 2, ['v2', 'v1'], 0],
    ['selects nothing from nothing', [], 5, [], 0],
  ])('%s', (_, listed, max, tags, skipped) => {
    expect(selectTags(listed, max)).toEqual({ tags, skipped });
  });

  it('does not depend on listing order', () => {
    const listed = ['v3', 'main', 'v20', 'latest', 'v1', 'dev'];
    expect(selectTags(listed, 4)).toEqual(selectTags([...listed].reverse(), 4));
  });
});
