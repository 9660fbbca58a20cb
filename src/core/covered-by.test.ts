import { describe, expect, it } from 'vitest';
import { coveredBy } from './covered-by.ts';

describe('coveredBy', () => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['equal scalars', 'Fail', 'Fail', true],
    ['different scalars', 'Fail', 'Ignore', false],
    ['defaults added by the server', { a: 1 }, { a: 1, matchPolicy: 'Equivalent' }, true],
    ['a field missing', { a: 1, b: 2 }, { a: 1 }, false],
    ['nested defaults', { s: { x: [{ k: 'v' }] } }, { s: { x: [{ k: 'v', d: {} }], y: 1 } }, true],
    ['an extra list item', { x: ['a'] }, { x: ['a', 'b'] }, false],
    ['list order matters', { x: ['a', 'b'] }, { x: ['b', 'a'] }, false],
    ['an undefined desired field is ignored', { a: undefined, b: 1 }, { b: 1 }, true],
    ['object against scalar', { a: 1 }, 'a', false],
    ['object against list', { a: 1 }, [1], false],
    ['null against object', null, {}, false],
  ];
  for (const [name, desired, actual, expected] of cases)
    it(name, () => expect(coveredBy(desired, actual)).toBe(expected));
});
