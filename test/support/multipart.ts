import { randomBytes } from 'node:crypto';

export interface Part {
  name: string;
  /** Sent as is in the Content-Disposition header (no basename, no escaping): tests control every byte. */
  filename?: string;
  contentType?: string;
  body: Buffer | string;
}

/** A multipart/form-data body built by hand, so tests can send names and bytes no client library would. */
export function multipart(parts: Part[], boundary = `----test${randomBytes(8).toString('hex')}`): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const headers = [`Content-Disposition: ${disposition}`, ...(part.contentType ? [`Content-Type: ${part.contentType}`] : [])];
    chunks.push(Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8'), Buffer.isBuffer(part.body) ? part.body : Buffer.from(part.body, 'utf8'), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** One file in the field `file`. */
export function fileForm(filename: string, contentType: string, body: Buffer | string) {
  return multipart([{ name: 'file', filename, contentType, body }]);
}

/** Text of every page of a PDF, read back with unpdf (pdf.js). */
export async function pdfText(bytes: Buffer): Promise<string> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  const { text } = await extractText(pdf, { mergePages: true });
  return text;
}
