/**
 * CSV as spreadsheets read it (RFC 4180), for the exports: pure, no I/O.
 *
 * - Rows end with CRLF; a cell holding a quote, a comma, a semicolon, a tab, CR or LF is quoted
 *   and its quotes doubled. Semicolons and tabs are quoted too although RFC 4180 does not need it:
 *   spreadsheets in many locales split on `;` (or a tab) instead of `,`, and an unquoted
 *   `x;=HYPERLINK(…)` would become a cell of its own there.
 * - CSV injection (OWASP): a cell starting with `=`, `+`, `-`, `@`, a tab or CR gets a leading `'`,
 *   so no spreadsheet evaluates it as a formula. A negative number then reads `'-5` (as text):
 *   the price of never running what someone typed into a case.
 * - The file starts with a UTF-8 byte-order mark (`CSV_BOM`), without which Excel reads UTF-8 as
 *   the locale's code page and mangles accents.
 */

/** The UTF-8 byte-order mark a CSV file starts with. */
export const CSV_BOM = '\uFEFF';

/** Characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** Characters that need the cell quoted. */
const NEEDS_QUOTES = /[",;\t\r\n]/;

/** The cell with a leading `'` when it would otherwise start a formula. */
export function escapeFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** One cell as written: formula-escaped, then quoted when it needs to be. */
export function csvCell(value: string): string {
  const cell = escapeFormula(value);
  return NEEDS_QUOTES.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** One record, CRLF-terminated. */
export function csvRow(cells: ReadonlyArray<string>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/**
 * A value as a cell: empty for null/undefined, arrays joined with `; ` (a multiselect),
 * booleans `true`/`false`, numbers as JavaScript writes them, other objects as JSON.
 */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(formatCell).join('; ');
  return JSON.stringify(value);
}
