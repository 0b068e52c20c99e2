/**
 * The CSV writer of the exports (api/csv.ts): RFC 4180 quoting, CSV-injection escaping, value
 * formatting. A tiny reference parser (test/support/csv.ts, written from RFC 4180) reads back what
 * was written.
 */
import fc from 'fast-check';
import { CSV_BOM, csvCell, csvRow, escapeFormula, formatCell } from '../../api/csv';
import { parseCsv } from '../support/csv';

const FORMULA = ['=', '+', '-', '@', '\t', '\r'];

test('plain cells are written as they are', () => {
  expect(csvRow(['ONB-1', 'Jane Doe', '42', ''])).toBe('ONB-1,Jane Doe,42,\r\n');
});

test('commas, quotes, semicolons, tabs and line breaks are quoted, quotes doubled', () => {
  expect(csvCell('Doe, Jane')).toBe('"Doe, Jane"');
  expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  expect(csvCell('line one\nline two')).toBe('"line one\nline two"');
  expect(csvCell('a\r\nb')).toBe('"a\r\nb"');
  // Spreadsheets of many locales split on ; — quoted so `x;=1+1` stays one cell there too.
  expect(csvCell('x;=1+1')).toBe('"x;=1+1"');
  expect(csvCell('a\tb')).toBe('"a\tb"');
});

test('cells that would start a formula get a leading apostrophe', () => {
  expect(csvCell('=HYPERLINK("http://evil.example","click")')).toBe('"\'=HYPERLINK(""http://evil.example"",""click"")"');
  expect(csvCell('+1')).toBe("'+1");
  expect(csvCell('-5')).toBe("'-5");
  expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  expect(csvCell('\t=1')).toBe('"\'\t=1"');
  expect(csvCell('\r=1')).toBe('"\'\r=1"');
  // Only at the start: elsewhere the characters are harmless.
  expect(csvCell('a=b-c+d@e')).toBe('a=b-c+d@e');
  expect(escapeFormula("'already")).toBe("'already");
});

test('values are formatted: arrays joined with "; ", booleans, numbers, null empty, objects as JSON', () => {
  expect(formatCell(['laptop', 'phone'])).toBe('laptop; phone');
  expect(formatCell(true)).toBe('true');
  expect(formatCell(false)).toBe('false');
  expect(formatCell(3.5)).toBe('3.5');
  expect(formatCell(null)).toBe('');
  expect(formatCell(undefined)).toBe('');
  expect(formatCell('2026-01-31')).toBe('2026-01-31');
  expect(formatCell({ redacted: true })).toBe('{"redacted":true}');
});

test('the byte-order mark is U+FEFF (EF BB BF in UTF-8)', () => {
  expect(Buffer.from(CSV_BOM, 'utf8')).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
});

test('property: parsing what was written gives back the cells (formula-escaped), and no cell starts a formula', () => {
  // Strings rich in the characters that matter, and any unicode besides.
  const tricky = fc.oneof(
    fc.string(),
    fc.string({ unit: fc.constantFrom(',', '"', ';', '\r', '\n', '\t', '=', '+', '-', '@', "'", ' ', 'a', 'é', '😀') }),
    fc.string({ unit: 'grapheme' }),
  );
  fc.assert(
    fc.property(fc.array(fc.array(tricky, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 }), (rows) => {
      const text = rows.map(csvRow).join('');
      const parsed = parseCsv(text);
      expect(parsed).toEqual(rows.map((cells) => cells.map((c) => (FORMULA.some((f) => c.startsWith(f)) ? `'${c}` : c))));
      for (const cell of parsed.flat()) expect(FORMULA.some((f) => cell.startsWith(f))).toBe(false);
    }),
    { numRuns: 500 },
  );
});
