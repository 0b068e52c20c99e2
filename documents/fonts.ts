/**
 * The fonts generated PDFs embed, so names in every script people here are likely to have print
 * as written: Noto Sans for Latin (accents included), Greek and Cyrillic; Noto Sans Hans (the
 * Simplified-Chinese subset of Noto Sans CJK: Chinese, Japanese kanji and kana) and Noto Sans KR
 * (Hangul) as fallbacks. They come from the `@embedpdf/fonts-*` packages (OFL, maintained for
 * PDF fallback use; README "Generated documents" says why these). pdfkit embeds only the glyphs a
 * document uses, so a PDF stays small; each font is read and parsed once per process, the CJK
 * ones only when a document needs them.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as fontkit from 'fontkit';

export interface FontFace {
  /** pdfkit's name for it in a document. */
  name: string;
  file: string;
}

interface FontFamily {
  regular: FontFace;
  bold: FontFace;
}

/** A font file of an `@embedpdf/fonts-*` package (its `exports` name only the script, which sits in `dist/` beside `fonts/`). */
function packaged(pkg: string, file: string): string {
  // createRequire rather than the global require: the console's type check declares that one bare.
  return path.join(path.dirname(createRequire(__filename).resolve(pkg)), '..', 'fonts', file);
}

/** In fallback order: a character is set in the first family that has a glyph for it. */
export const FONT_FAMILIES: readonly FontFamily[] = [
  {
    regular: { name: 'NotoSans', file: packaged('@embedpdf/fonts-latin', 'NotoSans-Regular.ttf') },
    bold: { name: 'NotoSans-Bold', file: packaged('@embedpdf/fonts-latin', 'NotoSans-Bold.ttf') },
  },
  {
    regular: { name: 'NotoSansHans', file: packaged('@embedpdf/fonts-sc', 'NotoSansHans-Regular.otf') },
    bold: { name: 'NotoSansHans-Bold', file: packaged('@embedpdf/fonts-sc', 'NotoSansHans-Bold.otf') },
  },
  {
    regular: { name: 'NotoSansKR', file: packaged('@embedpdf/fonts-kr', 'NotoSansKR-Regular.otf') },
    bold: { name: 'NotoSansKR-Bold', file: packaged('@embedpdf/fonts-kr', 'NotoSansKR-Bold.otf') },
  },
];

const fonts = new Map<string, fontkit.Font>();

/**
 * The parsed font, once per process: pdfkit takes a fontkit font as it is, and parsing one per
 * document (its layout tables, its glyphs) cost 40 times the rendering of a page of Latin text.
 * Each document still embeds its own subset of it.
 */
export function fontOf(face: FontFace): fontkit.Font {
  let font = fonts.get(face.file);
  if (!font) {
    // Each file is a single font (a collection would need a postscript name).
    font = fontkit.create(fs.readFileSync(face.file)) as fontkit.Font;
    fonts.set(face.file, font);
  }
  return font;
}

/**
 * The first family's ascent, as a fraction of the font size. Every run is set on the baseline
 * this gives, so a fallback font (the CJK ones have a taller ascent) stays on the line of the
 * text around it instead of riding above it.
 */
export function primaryAscent(): number {
  const font = fontOf(FONT_FAMILIES[0]!.regular);
  return font.ascent / font.unitsPerEm;
}

/** Whether a family's regular face has a glyph for `codePoint` (its bold face covers the same characters). */
function covers(family: FontFamily, codePoint: number): boolean {
  return fontOf(family.regular).hasGlyphForCodePoint(codePoint);
}

export interface Run {
  family: number;
  text: string;
}

/** Characters that take the font of what surrounds them: spaces, line breaks and combining marks. */
const FOLLOWS = /[\s\u0300-\u036f\u200b-\u200d\u2060\ufe00-\ufe0f]/u;

/**
 * `text` cut into runs, each set in the first family (by index into FONT_FAMILIES) that has
 * glyphs for it. A character no family has stays in the first (it shows as an empty box, and
 * copies as itself).
 */
export function fontRuns(text: string): Run[] {
  const runs: Run[] = [];
  for (const ch of text) {
    const previous = runs[runs.length - 1];
    const codePoint = ch.codePointAt(0) ?? 0;
    let family = previous && FOLLOWS.test(ch) ? previous.family : FONT_FAMILIES.findIndex((f) => covers(f, codePoint));
    if (family < 0) family = 0;
    if (previous && previous.family === family) previous.text += ch;
    else runs.push({ family, text: ch });
  }
  return runs;
}
