import { parseMentions } from '../../domain/mentions';

describe('parseMentions', () => {
  test.each<[string, string[]]>([
    ['@alice', ['alice']],
    ['hi @alice and @bob', ['alice', 'bob']],
    ['@alice @bob @alice', ['alice', 'bob']],
    ['(@alice) [@bob] "@carol"', ['alice', 'bob', 'carol']],
    ['thanks @alice, @bob; @carol: @dave! @eve?', ['alice', 'bob', 'carol', 'dave', 'eve']],
    ['end of sentence @alice.', ['alice']],
    ['dotted ids @john.doe and dashed @mary-jane and under @a_b', ['john.doe', 'mary-jane', 'a_b']],
    ['trailing separators are not part of the id: @bob- @carol_ @dave..', ['bob', 'carol', 'dave']],
    ['line\n@alice\tand\n@bob', ['alice', 'bob']],
    ['single char @x', ['x']],
    ['digits @007', ['007']],
  ])('%j mentions %j', (text, expected) => {
    expect(parseMentions(text)).toEqual(expected);
  });

  test.each([
    'write to john@example.com',
    'John.Doe@example.co.uk please',
    'a_b@example.com',
    'user123@host',
    '<alice@example.com>',
    'first.last@sub.example.org, second@example.org',
    'lonely @ sign',
    '@@alice',
    '@-alice',
    '@.alice',
    '@_alice',
    '',
  ])('%j mentions nobody', (text) => {
    expect(parseMentions(text)).toEqual([]);
  });

  // BUG (domain/mentions.ts, MENTION: lookbehind `(?<![\w.@])`): \w is ASCII-only, so an address
  // whose local part ends in a non-ASCII letter is read as a mention of its domain:
  // parseMentions('josé@example.com') returns ['example.com'] instead of [].
  test.each(['josé@example.com', 'write to andré@example.org', 'ångström.ø@firma.no'])('%j (non-ASCII local part) mentions nobody', (text) => {
    expect(parseMentions(text)).toEqual([]);
  });

  test('mentions and e-mail addresses mixed', () => {
    expect(parseMentions('@mona please mail john@example.com, cc @ivan (not ivan@corp.io)')).toEqual(['mona', 'ivan']);
  });

  test('mentioned ids are at most 64 characters', () => {
    expect(parseMentions(`@${'a'.repeat(64)}`)).toEqual(['a'.repeat(64)]);
    expect(parseMentions(`@${'a'.repeat(80)}`).every((id) => id.length <= 64)).toBe(true);
  });
});
