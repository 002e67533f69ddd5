/**
 * Recognition in documents (issue 24): petition prose, 12345 work orders, case notes and record lines
 * of test/corpus/documents.ts. The recognizers were developed on seed 1; the figures asserted here are
 * on seed 20241 (held out), read from GBK and UTF-8 files with CRLF line ends through `pdx scan`'s
 * decoder. Aim: precision ≥ 0.95 and recall ≥ 0.9 for every type.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDocuments } from '../../../test/corpus/documents.ts';
import { generateUnseenDocuments } from '../../../test/corpus/documents-unseen.ts';
import { formatScores, scoreText } from '../../../test/corpus/evaluate.ts';
import { scanTextInput } from './scan.ts';
import { scanText } from './text.ts';
import { TYPE_IDS, type TextFinding } from './types.ts';

/** The held-out seed (development used seed 1). */
export const HELD_OUT_SEED = 20241;
const DOCUMENTS = 1500;

const dir = mkdtempSync(join(tmpdir(), 'pdx-documents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function scanFile(file: string): Promise<TextFinding[]> {
  const out: TextFinding[] = [];
  for await (const f of scanTextInput(file)) out.push(f);
  return out;
}

describe('documents corpus, held-out seed', () => {
  it('GBK file with CRLF line ends: precision ≥ 0.95 and recall ≥ 0.9 per type', async () => {
    const { text, spans } = generateDocuments(HELD_OUT_SEED, DOCUMENTS, '\r\n');
    const file = join(dir, 'petitions-gbk.txt');
    writeFileSync(file, iconv.encode(text, 'gbk'));
    const { scores, mistakes } = scoreText(spans, await scanFile(file));
    console.log(formatScores(`documents (seed ${HELD_OUT_SEED}, GBK, CRLF)`, scores));
    for (const type of TYPE_IDS) {
      const s = scores.get(type)!;
      if (type === 'ipv6') continue; // not written in petitions
      expect(s.tp, `${type} appears in the corpus`).toBeGreaterThan(0);
      expect(
        s.precision,
        `${type} precision; ${mistakes
          .filter((m) => m.startsWith(`false ${type}`))
          .slice(0, 5)
          .join(' | ')}`,
      ).toBeGreaterThanOrEqual(0.95);
      expect(
        s.recall,
        `${type} recall; ${mistakes
          .filter((m) => m.includes(` ${type}:`))
          .slice(0, 5)
          .join(' | ')}`,
      ).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('frames written apart from the generator (test/corpus/documents-unseen.ts): precision ≥ 0.95 and recall ≥ 0.9 per type', () => {
    const { text, spans } = generateUnseenDocuments(HELD_OUT_SEED, 600);
    const { scores, mistakes } = scoreText(spans, scanText(text));
    console.log(formatScores(`independent frames (seed ${HELD_OUT_SEED})`, scores));
    for (const type of TYPE_IDS) {
      if (type === 'ipv6') continue;
      const s = scores.get(type)!;
      expect(s.tp, `${type} appears in the corpus`).toBeGreaterThan(0);
      expect(
        s.precision,
        `${type} precision; ${mistakes
          .filter((m) => m.startsWith(`false ${type}`))
          .slice(0, 5)
          .join(' | ')}`,
      ).toBeGreaterThanOrEqual(0.95);
      expect(
        s.recall,
        `${type} recall; ${mistakes
          .filter((m) => m.includes(` ${type}:`))
          .slice(0, 5)
          .join(' | ')}`,
      ).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('UTF-8 with a BOM and CRLF gives the same findings as the string', async () => {
    const { text } = generateDocuments(HELD_OUT_SEED + 1, 200, '\r\n');
    const file = join(dir, 'petitions-utf8.txt');
    writeFileSync(file, `\ufeff${text}`);
    expect(await scanFile(file)).toEqual(scanText(text));
  });
});
