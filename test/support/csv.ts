/** A reference CSV reader for the tests, written from RFC 4180 (not from api/csv.ts). */

/** RFC 4180: records end with CRLF; a quoted field may hold anything, its quotes doubled. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else cell += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`a quote inside an unquoted field at ${i}`);
        cell += text[i++];
      }
    }
    record.push(cell);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
      if (i >= text.length) return records;
      continue;
    }
    throw new Error(`expected a comma or CRLF at ${i}, got ${JSON.stringify(text.slice(i, i + 5))}`);
  }
}
