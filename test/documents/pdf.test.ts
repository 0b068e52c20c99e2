/**
 * Generated PDFs print names in every script they are likely to meet — accented Latin, Greek,
 * Cyrillic, Chinese, Japanese, Korean — with embedded fonts, and the text reads back exactly.
 */
import { fontRuns, FONT_FAMILIES } from '../../documents/fonts';
import { renderPdf } from '../../documents/pdf';
import { pdfText } from '../support/multipart';

const names = {
  accentedLatin: ['Zoë Ölund', 'Łukasz Dvořák', 'Ångström Çelik', 'Nguyễn Thị Minh Khai', 'Søren Kierkegaard', 'François Grüß'],
  greek: ['Αλέξανδρος Παπαδόπουλος', 'Ελένη Γεωργίου'],
  cyrillic: ['Иван Петрович Сидоров', 'Олена Шевченко', 'Ђорђе Јовановић'],
  chinese: ['李小龙', '王芳', '張偉'],
  japanese: ['山田太郎', 'やまだ たろう', 'カタカナ'],
  korean: ['김민준', '이서연'],
};
const all = Object.values(names).flat();

test('a document with names in every script reads back with each name exactly', async () => {
  const body = [`Dear ${names.accentedLatin[0]},`, ...Object.entries(names).map(([script, list]) => `${script}: ${list.join(', ')}`), 'Mixed on one line: Zoë 李小龙 김민준 Иван Ελένη.'].join('\n\n');
  const pdf = await renderPdf({ title: `Offer for ${names.chinese[0]} · ${names.greek[0]}`, body, createdAt: new Date('2027-01-04T09:00:00Z'), author: 'Жанна Ёлкина' });
  // Line breaks fall where the page wraps: compare with whitespace as one space.
  const text = (await pdfText(pdf)).normalize('NFC').replace(/\s+/g, ' ');
  for (const name of all) expect([name, text.includes(name)]).toEqual([name, true]);
  expect(text).toContain(`Offer for ${names.chinese[0]}`);
  expect(text).not.toContain('?');
  // The fonts are embedded (subsets), not the standard Helvetica that cannot show these.
  const raw = pdf.toString('latin1');
  expect(raw).toMatch(/\/FontFile2/); // Noto Sans (TrueType)
  expect(raw).toMatch(/\/FontFile3/); // the CJK fonts (CFF)
  expect(raw).toContain('NotoSans');
});

test('each script is set in the first font that has it; spaces and accents stay with their neighbours', () => {
  const families = (text: string) => fontRuns(text).map((r) => [FONT_FAMILIES[r.family]!.regular.name, r.text]);
  expect(families('Zoë Ελένη Иван')).toEqual([['NotoSans', 'Zoë Ελένη Иван']]);
  expect(families('Zoë 李小龙 김민준')).toEqual([
    ['NotoSans', 'Zoë '],
    ['NotoSansHans', '李小龙 '],
    ['NotoSansKR', '김민준'],
  ]);
  // A decomposed accent (e + combining diaeresis) stays in the font of its letter.
  expect(families('Zoe\u0308')).toEqual([['NotoSans', 'Zoe\u0308']]);
});

test('a document without CJK embeds no CJK font, and stays small', async () => {
  const pdf = await renderPdf({ title: 'Offer for Zoë', body: 'Dear Иван,\n\nWelcome.', createdAt: new Date('2027-01-04T09:00:00Z') });
  expect(pdf.toString('latin1')).not.toMatch(/NotoSansHans|NotoSansKR/);
  expect(pdf.length).toBeLessThan(40_000);
});
