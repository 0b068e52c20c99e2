import PDFDocument from 'pdfkit';

export interface PdfInput {
  title: string;
  /** Plain text; blank lines separate paragraphs, single line breaks are kept. */
  body: string;
  /** Written as the PDF's creation date; a fixed date makes the same input give the same bytes. */
  createdAt?: Date;
  author?: string;
}

// Characters the standard PDF fonts can show besides Latin-1 (Windows-1252's extras).
const WIN_ANSI_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/**
 * The built-in Helvetica covers Windows-1252 only. Accents that decompose keep their base
 * letter; anything else becomes "?" instead of garbage glyphs.
 */
export function toWinAnsi(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\n' || ch === '\t') out += ch;
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) continue;
    else if (code < 0x100 || WIN_ANSI_EXTRAS.has(ch)) out += ch;
    else {
      const base = ch.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      out += [...base].every((c) => (c.codePointAt(0) ?? 0) < 0x100) && base ? base : '?';
    }
  }
  return out;
}

export function paragraphs(body: string): string[] {
  return body
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/^\n+|\s+$/g, ''))
    .filter((p) => p.trim().length > 0);
}

/**
 * Renders a title and paragraphs of text into an A4 PDF with pdfkit. With `createdAt` given the
 * output is byte-for-byte reproducible (pdfkit derives the file id from the document info).
 */
export function renderPdf(input: PdfInput): Promise<Buffer> {
  const createdAt = input.createdAt ?? new Date();
  const title = toWinAnsi(input.title).replace(/\s+/g, ' ').trim();
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 64, bottom: 64, left: 64, right: 64 },
    info: { Title: title, Creator: 'case-orchestrator', Producer: 'case-orchestrator (pdfkit)', CreationDate: createdAt, ModDate: createdAt, ...(input.author ? { Author: toWinAnsi(input.author) } : {}) },
    displayTitle: true,
    lang: 'en',
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(18).text(title, { align: 'left' });
  doc.moveDown(1);
  doc.font('Helvetica').fontSize(11);
  for (const paragraph of paragraphs(input.body)) {
    doc.text(toWinAnsi(paragraph), { align: 'left', lineGap: 2 });
    doc.moveDown(0.8);
  }
  doc.end();
  return done;
}
