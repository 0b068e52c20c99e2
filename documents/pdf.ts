import PDFDocument from 'pdfkit';
import { FONT_FAMILIES, fontOf, fontRuns, primaryAscent } from './fonts';

export interface PdfInput {
  title: string;
  /** Plain text; blank lines separate paragraphs, single line breaks are kept. */
  body: string;
  /** Written as the PDF's creation date; a fixed date makes the same input give the same bytes. */
  createdAt?: Date;
  author?: string;
}

/** Text as it can be set: NFC (accents composed, so one glyph each), without control characters other than line breaks and tabs. */
export function printable(text: string): string {
  return text.normalize('NFC').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

export function paragraphs(body: string): string[] {
  return body
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/^\n+|\s+$/g, ''))
    .filter((p) => p.trim().length > 0);
}

/**
 * OpenType features for fontkit's layout with `ccmp` off: it splits a composed letter into its base
 * and a mark (ị → i + ◌̣), and pdfkit then maps the base glyph back to the composed letter for
 * every `i` of the document, so the text read back (search, copy, screen readers) was wrong. The
 * text is NFC, so the fonts' composed glyphs show it. A fresh object each time: fontkit adds to it.
 */
const keepComposed = () => ({ ccmp: false }) as unknown as PDFKit.Mixins.OpenTypeFeatures[];

/**
 * Writes `text` as one paragraph, each run of characters in the first font that has them
 * (documents/fonts.ts): Latin, Greek and Cyrillic in Noto Sans, Chinese and Japanese in Noto Sans
 * Hans, Korean in Noto Sans KR. pdfkit wraps the runs as one text (`continued`).
 */
function writeText(doc: PDFKit.PDFDocument, text: string, style: { bold: boolean; size: number }, used: Set<string>, options: PDFKit.Mixins.TextOptions): void {
  const runs = fontRuns(text);
  // One baseline for every font of the line: where the first family's ascent puts it.
  const baseline = -primaryAscent() * style.size;
  runs.forEach((run, i) => {
    const face = style.bold ? FONT_FAMILIES[run.family]!.bold : FONT_FAMILIES[run.family]!.regular;
    if (!used.has(face.name)) {
      // pdfkit takes a parsed fontkit font as it is (its types say only paths and buffers).
      doc.registerFont(face.name, fontOf(face) as unknown as Buffer);
      used.add(face.name);
    }
    doc.font(face.name).fontSize(style.size).text(run.text, { ...options, baseline, features: keepComposed(), continued: i < runs.length - 1 });
  });
}

/**
 * Renders a title and paragraphs of text into an A4 PDF with pdfkit, with embedded Unicode fonts
 * (subsets: only the glyphs used). With `createdAt` given the output is byte-for-byte
 * reproducible (pdfkit derives the file id from the document info).
 */
export function renderPdf(input: PdfInput): Promise<Buffer> {
  const createdAt = input.createdAt ?? new Date();
  const title = printable(input.title).replace(/\s+/g, ' ').trim();
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 64, bottom: 64, left: 64, right: 64 },
    // Document info strings are PDF text strings (UTF-16 when needed): any script is fine there.
    info: { Title: title, Creator: 'case-orchestrator', Producer: 'case-orchestrator (pdfkit)', CreationDate: createdAt, ModDate: createdAt, ...(input.author ? { Author: printable(input.author) } : {}) },
    displayTitle: true,
    lang: 'en',
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const used = new Set<string>();
  if (title) writeText(doc, title, { bold: true, size: 18 }, used, { align: 'left' });
  doc.moveDown(1);
  for (const paragraph of paragraphs(printable(input.body))) {
    writeText(doc, paragraph, { bold: false, size: 11 }, used, { align: 'left', lineGap: 2 });
    doc.moveDown(0.8);
  }
  doc.end();
  return done;
}
