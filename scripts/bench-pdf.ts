/**
 * PDF generation time (documents/pdf.ts), in process: the offer-letter sized document of a
 * generated-document automation, Latin only and with names in every script the fonts cover.
 *   npx tsx scripts/bench-pdf.ts [--rounds 50] [--module documents/pdf.ts]
 * Prints the first render (which reads and parses the fonts it needs) and the median and p90 of
 * the rest, per document, with the PDF's size.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '50' }, module: { type: 'string', default: 'documents/pdf.ts' } } });
const rounds = Number(values.rounds);

const letter = (name: string) =>
  [
    `Dear ${name},`,
    'We are pleased to offer you the position of Operations Analyst, starting on 4 January 2027. Your salary, benefits and the terms of your employment are set out in the enclosed contract; please read it carefully.',
    'Your manager will be in touch before your first day to arrange your equipment and accounts. On your first morning, please come to the front desk at 9:00 with a photo ID.',
    'If you have any questions, reply to this letter or call us. We look forward to working with you.',
    `Case reference: ONB-42. Prepared for ${name}.`,
  ].join('\n\n');

const documents = {
  latin: { title: 'Offer letter for Jane Doe', body: letter('Jane Doe') },
  'every script': {
    title: 'Offer letter for 李小龙 · Αλέξανδρος · Иван · 김민준',
    body: letter('Zoë Ölund, Αλέξανδρος Παπαδόπουλος, Иван Сидоров, 李小龙, 山田太郎 (やまだ たろう) and 김민준'),
  },
};

async function main() {
  const { renderPdf } = (await import(path.resolve(values.module!))) as typeof import('../documents/pdf');
  for (const [name, input] of Object.entries(documents)) {
    let t = performance.now();
    const first = await renderPdf(input);
    const firstMs = performance.now() - t;
    const ms: number[] = [];
    for (let i = 0; i < rounds; i++) {
      t = performance.now();
      await renderPdf(input);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(1);
    console.log(`${name.padEnd(13)} first ${firstMs.toFixed(0).padStart(5)} ms   median ${at(0.5).padStart(6)} ms   p90 ${at(0.9).padStart(6)} ms   ${(first.length / 1024).toFixed(1)} KiB  (n=${rounds})`);
  }
}

void main();
